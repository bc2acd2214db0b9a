//! Who may issue, list and revoke which API token: the token policy of ADR 0020, in one place.
//!
//! The invariant: **no credential issues a credential for another account or for a role it does
//! not hold, and administrator credentials never reach a case route, directly or through
//! anything they create.** Every path that issues a token (the web page, the API, the operator
//! socket, the CLI with the node stopped) goes through [`issue`], which asks [`may_issue`]:
//!
//! | issuer | may issue |
//! |---|---|
//! | a signed-in person (web session, both factors) | a token of their own account, with its role |
//! | an administrator's API token | a monitor token of a new API-only account; nothing else |
//! | the host operator (socket, or CLI with the node stopped) | a token of a new API-only (machine) account, any role |
//!
//! Nobody issues a token for another person's account. Every token expires
//! ([`TokenPolicy`]); every issue and revocation is audited in the same transaction (actor,
//! token name, role, account, origin, expiry; never the token).

use std::fmt;

use cp247_store::{
    Account, Actor, ApiToken, AuditAction, AuditRecord, AuditResult, NewApiToken, Store,
    StoreError, TokenOrigin,
};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::auth::{IssuedToken, Role, token_hash};

/// The most live tokens one person, or one administrator's token, may have issued at once
/// (the host operator is not bounded: it can write the database anyway).
pub const MAX_LIVE_TOKENS_PER_ISSUER: u64 = 50;

/// How long tokens live, in whole days (from `[tokens]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// The lifetime of a token asked for without one.
    pub default_days: u32,
    /// The longest lifetime anyone may ask for.
    pub max_days: u32,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        crate::config::TokensSection::default().policy()
    }
}

impl TokenPolicy {
    /// The lifetime to give a token: `asked` (or the default), if within 1 to `max_days`.
    pub fn lifetime(&self, asked: Option<u32>) -> Result<u32, IssueError> {
        let days = asked.unwrap_or(self.default_days);
        if days == 0 || days > self.max_days {
            return Err(IssueError::Lifetime(format!(
                "a token lives 1 to {} days on this node (tokens.max_lifetime), not {days}",
                self.max_days
            )));
        }
        Ok(days)
    }
}

/// The way into the running node that the host operator used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorPath {
    /// The node's local socket (`operator.sock` in the node directory).
    Socket,
    /// The CLI, opening the database of a stopped node.
    Offline,
}

/// Who asks to issue or revoke a token.
#[derive(Debug, Clone)]
pub enum Issuer {
    /// A signed-in person (web session past both factors): their own account.
    Person(Account),
    /// The holder of an administrator's API token.
    AdminToken(ApiToken),
    /// The host operator.
    Operator(OperatorPath),
}

/// The kind of issuer, as the policy table sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerKind {
    /// A signed-in person with this role.
    Person(Role),
    /// An API token with this role (only an administrator's may issue anything).
    Token(Role),
    /// The host operator.
    Operator,
}

impl Issuer {
    /// The issuer's kind; `None` when the stored role is unknown (which grants nothing).
    pub fn kind(&self) -> Option<IssuerKind> {
        match self {
            Issuer::Person(a) => Role::of(&a.role).map(IssuerKind::Person),
            Issuer::AdminToken(t) => Role::of(&t.role).map(IssuerKind::Token),
            Issuer::Operator(_) => Some(IssuerKind::Operator),
        }
    }

    /// The audit actor.
    pub fn actor(&self) -> Result<Actor, StoreError> {
        match self {
            Issuer::Person(a) => Actor::user(&a.username),
            Issuer::AdminToken(t) => Actor::token(&t.name),
            Issuer::Operator(OperatorPath::Socket) => Actor::parse("operator:socket"),
            Issuer::Operator(OperatorPath::Offline) => Actor::parse("operator:cli"),
        }
    }

    fn origin(&self) -> TokenOrigin {
        match self {
            Issuer::Person(_) => TokenOrigin::Session,
            Issuer::AdminToken(_) => TokenOrigin::Admin,
            Issuer::Operator(_) => TokenOrigin::Operator,
        }
    }
}

/// What account a token is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// The issuer's own account (its role).
    OwnAccount,
    /// An existing account, named by its user name.
    Account(String),
    /// A new API-only (machine) account with this role, named `token-<name>`.
    Machine(Role),
}

/// A request for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// A unique name (one line, at most 64 bytes).
    pub name: String,
    /// For which account.
    pub grant: Grant,
    /// Its lifetime in days; `None`: the node's default.
    pub lifetime_days: Option<u32>,
}

/// Why no token was issued or revoked. Messages never contain a token.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The policy forbids it.
    #[error("{0}")]
    NotAllowed(&'static str),
    /// The lifetime is out of bounds.
    #[error("{0}")]
    Lifetime(String),
    /// The name is not acceptable.
    #[error("{0}")]
    Name(String),
    /// The issuer has too many live tokens.
    #[error(
        "{0} tokens issued this way still work, the most allowed: revoke one that is no longer used first"
    )]
    TooMany(u64),
    /// The name is taken.
    #[error("a token named '{0}' exists already (or its machine account 'token-{0}' does)")]
    NameTaken(String),
    /// No such token (or not one of the caller's).
    #[error("there is no token with id {0}")]
    NoSuchToken(u64),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl IssueError {
    /// A stable code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            IssueError::NotAllowed(_) => "not_issuable",
            IssueError::Lifetime(_) => "invalid_lifetime",
            IssueError::Name(_) => "invalid_token_name",
            IssueError::TooMany(_) => "too_many_tokens",
            IssueError::NameTaken(_) => "token_name_taken",
            IssueError::NoSuchToken(_) => "no_such_token",
            IssueError::Store(_) => "store_unavailable",
        }
    }
}

const OWN_ONLY: &str = "a person issues tokens for their own account only, with its role, from \
     their signed-in web session (the API tokens page)";
const ADMIN_MONITOR_ONLY: &str = "an administrator issues monitor tokens only (role \
     'monitor'): tokens that reach cases are issued by each person for themselves from their \
     signed-in session, or for machine accounts by the host operator \
     (`cp247 token create --dir NODE` on the node's host)";
const NOT_FOR_OTHERS: &str = "nobody issues a token for another person's account: a person \
     issues their own from their signed-in session (the API tokens page)";
const ADMIN_OWN: &str = "an administrator's own tokens are issued from their signed-in session \
     (the API tokens page), not with another token";
const TOKEN_ISSUES_NOTHING: &str = "only an administrator's token may issue tokens, and only \
     monitor tokens";
const OPERATOR_MACHINES: &str = "the host operator issues tokens for new machine (API-only) \
     accounts only; a person issues their own from their signed-in session";
const CANNOT_SIGN_IN: &str = "this account does not sign in to the web, so it issues no tokens";

/// The policy table (pure): may an issuer of this kind ask for this grant?
pub fn may_issue(issuer: IssuerKind, grant: &Grant) -> Result<(), &'static str> {
    match (issuer, grant) {
        (IssuerKind::Person(role), Grant::OwnAccount) => {
            if role.signs_in() {
                Ok(())
            } else {
                Err(CANNOT_SIGN_IN)
            }
        }
        (IssuerKind::Person(_), Grant::Account(_) | Grant::Machine(_)) => Err(OWN_ONLY),
        (IssuerKind::Token(Role::Administrator), Grant::Machine(role)) => match role {
            Role::Monitor => Ok(()),
            Role::Officer | Role::Supervisor | Role::Administrator | Role::ReadOnly => {
                Err(ADMIN_MONITOR_ONLY)
            }
        },
        (IssuerKind::Token(Role::Administrator), Grant::Account(_)) => Err(NOT_FOR_OTHERS),
        (IssuerKind::Token(Role::Administrator), Grant::OwnAccount) => Err(ADMIN_OWN),
        (
            IssuerKind::Token(Role::Officer | Role::Supervisor | Role::ReadOnly | Role::Monitor),
            _,
        ) => Err(TOKEN_ISSUES_NOTHING),
        (IssuerKind::Operator, Grant::Machine(_)) => Ok(()),
        (IssuerKind::Operator, Grant::Account(_) | Grant::OwnAccount) => Err(OPERATOR_MACHINES),
    }
}

/// A token just issued: its record, and its text (shown this once).
pub struct Issued {
    /// The stored record.
    pub token: ApiToken,
    /// The token text.
    pub secret: IssuedToken,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

fn store_error(name: &str, e: StoreError) -> IssueError {
    match e {
        StoreError::Conflict { .. } => IssueError::NameTaken(name.to_owned()),
        StoreError::Invalid { .. } => IssueError::Name(e.to_string()),
        other => IssueError::Store(other),
    }
}

/// The audit details of a token (never its text or hash).
fn details(t: &ApiToken) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "role": t.role.as_str(),
        "account": t.account,
        "origin": t.origin.as_str(),
        "expires_at": t.expires_at.to_string(),
    })
}

/// Records a refused issue (an attempt to escape a role is worth knowing about). A failure to
/// write it is logged; the refusal stands either way.
async fn audit_refusal(store: &Store, now: Timestamp, issuer: &Issuer, request: &TokenRequest) {
    let (role, account) = match &request.grant {
        Grant::OwnAccount => (None, None),
        Grant::Account(name) => (None, Some(name.chars().take(80).collect::<String>())),
        Grant::Machine(role) => (Some(role.as_str()), None),
    };
    let Ok(actor) = issuer.actor() else { return };
    let record = AuditRecord {
        actor,
        action: AuditAction::TokenIssue,
        ticket: None,
        result: AuditResult::Denied,
        details: json!({
            "name": request.name.chars().take(80).collect::<String>(),
            "role": role,
            "account": account,
            "origin": issuer.origin().as_str(),
        }),
        at: now,
    };
    if let Err(e) = store.append_audit(&record).await {
        tracing::warn!(error = %e, "the audit entry of a refused token issue could not be written");
    }
}

/// Issues a token if the policy allows it: records it and its audit entry in one transaction.
/// A refusal by the policy is audited too (`denied`).
pub async fn issue(
    store: &Store,
    now: Timestamp,
    policy: &TokenPolicy,
    issuer: &Issuer,
    request: &TokenRequest,
) -> Result<Issued, IssueError> {
    let allowed = issuer
        .kind()
        .ok_or(TOKEN_ISSUES_NOTHING)
        .and_then(|kind| may_issue(kind, &request.grant));
    if let Err(why) = allowed {
        audit_refusal(store, now, issuer, request).await;
        return Err(IssueError::NotAllowed(why));
    }
    let days = policy.lifetime(request.lifetime_days)?;
    let name = request.name.trim();
    if name.is_empty() {
        return Err(IssueError::Name("the token needs a name".into()));
    }
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_hours(i64::from(days) * 24))
        .map_err(|_| IssueError::Lifetime("the expiry is out of range".into()))?;
    let (role, account_id) = match (&request.grant, issuer) {
        (Grant::OwnAccount, Issuer::Person(account)) => (account.role.clone(), Some(account.id)),
        (Grant::Machine(role), _) => (role.token_role().map_err(|e| store_error(name, e))?, None),
        // may_issue refused every other pair; this keeps the match total.
        (Grant::OwnAccount, Issuer::AdminToken(_) | Issuer::Operator(_))
        | (Grant::Account(_), _) => {
            return Err(IssueError::NotAllowed(NOT_FOR_OTHERS));
        }
    };
    let actor = issuer.actor().map_err(IssueError::Store)?;
    let bounded = match issuer {
        Issuer::Person(_) | Issuer::AdminToken(_) => true,
        Issuer::Operator(_) => false,
    };
    if bounded {
        let live = store
            .live_tokens_issued_by(&actor, now)
            .await
            .map_err(IssueError::Store)?;
        if live >= MAX_LIVE_TOKENS_PER_ISSUER {
            return Err(IssueError::TooMany(MAX_LIVE_TOKENS_PER_ISSUER));
        }
    }
    let secret = IssuedToken::generate();
    let record = NewApiToken {
        name: name.to_owned(),
        role,
        account_id,
        token_sha256: token_hash(secret.reveal()),
        created_at: now,
        expires_at,
        origin: issuer.origin(),
        issued_by: actor.clone(),
    };
    let mut tx = store.begin().await.map_err(IssueError::Store)?;
    let token = tx
        .create_api_token(&record)
        .await
        .map_err(|e| store_error(name, e))?;
    tx.append_audit(&AuditRecord {
        actor,
        action: AuditAction::TokenIssue,
        ticket: None,
        result: AuditResult::Ok,
        details: details(&token),
        at: now,
    })
    .await
    .map_err(IssueError::Store)?;
    tx.commit().await.map_err(IssueError::Store)?;
    Ok(Issued { token, secret })
}

/// Revokes token `id`: a person only their own (another's is "no such token"), an
/// administrator's token or the operator any. Revoking a revoked token changes nothing and
/// writes no audit entry; a revocation is audited in its transaction.
pub async fn revoke(
    store: &Store,
    now: Timestamp,
    issuer: &Issuer,
    id: u64,
) -> Result<ApiToken, IssueError> {
    let allowed = match issuer.kind() {
        Some(IssuerKind::Person(_)) => true,
        Some(IssuerKind::Token(Role::Administrator)) => true,
        Some(IssuerKind::Token(
            Role::Officer | Role::Supervisor | Role::ReadOnly | Role::Monitor,
        )) => false,
        Some(IssuerKind::Operator) => true,
        None => false,
    };
    if !allowed {
        return Err(IssueError::NotAllowed(
            "only an administrator's token may revoke tokens through the API",
        ));
    }
    let mut tx = store.begin().await.map_err(IssueError::Store)?;
    let token = match tx.api_token(id).await {
        Ok(t) => t,
        Err(StoreError::NotFound { .. }) => return Err(IssueError::NoSuchToken(id)),
        Err(e) => return Err(IssueError::Store(e)),
    };
    if let Issuer::Person(account) = issuer
        && token.account_id != account.id
    {
        return Err(IssueError::NoSuchToken(id));
    }
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let revoked = tx
        .revoke_api_token(id, now)
        .await
        .map_err(IssueError::Store)?;
    tx.append_audit(&AuditRecord {
        actor: issuer.actor().map_err(IssueError::Store)?,
        action: AuditAction::TokenRevoke,
        ticket: None,
        result: AuditResult::Ok,
        details: details(&revoked),
        at: now,
    })
    .await
    .map_err(IssueError::Store)?;
    tx.commit().await.map_err(IssueError::Store)?;
    Ok(revoked)
}

/// A token's state at `now`.
pub fn state(t: &ApiToken, now: Timestamp) -> &'static str {
    if t.revoked_at.is_some() {
        "revoked"
    } else if now >= t.expires_at {
        "expired"
    } else {
        "live"
    }
}

/// A token as the API and the operator socket show it (never its text or hash).
pub fn view(t: &ApiToken, now: Timestamp) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "role": t.role.as_str(),
        "account": t.account,
        "origin": t.origin.as_str(),
        "issued_by": t.issued_by,
        "created_at": t.created_at.to_string(),
        "expires_at": t.expires_at.to_string(),
        "revoked_at": t.revoked_at.map(|x| x.to_string()),
        "last_used_at": t.last_used_at.map(|x| x.to_string()),
        "state": state(t, now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table, written out independently of `may_issue`: who may ask for what.
    fn expected(issuer: IssuerKind, grant: &Grant) -> bool {
        match issuer {
            IssuerKind::Person(r) => *grant == Grant::OwnAccount && r != Role::Monitor,
            IssuerKind::Token(r) => {
                r == Role::Administrator && *grant == Grant::Machine(Role::Monitor)
            }
            IssuerKind::Operator => matches!(grant, Grant::Machine(_)),
        }
    }

    #[test]
    fn the_policy_table_holds_for_every_issuer_and_grant() {
        let mut grants = vec![Grant::OwnAccount, Grant::Account("officer".into())];
        grants.extend(Role::ALL.into_iter().map(Grant::Machine));
        let mut issuers = vec![IssuerKind::Operator];
        for r in Role::ALL {
            issuers.push(IssuerKind::Person(r));
            issuers.push(IssuerKind::Token(r));
        }
        for i in &issuers {
            for g in &grants {
                assert_eq!(may_issue(*i, g).is_ok(), expected(*i, g), "{i:?} {g:?}");
            }
        }
        // The two escapes of issue #10.
        assert!(
            may_issue(
                IssuerKind::Token(Role::Administrator),
                &Grant::Machine(Role::Officer)
            )
            .unwrap_err()
            .contains("monitor tokens only")
        );
        assert!(
            may_issue(
                IssuerKind::Token(Role::Administrator),
                &Grant::Account("officer".into())
            )
            .unwrap_err()
            .contains("another person's account")
        );
    }

    #[test]
    fn lifetimes_are_bounded() {
        let p = TokenPolicy {
            default_days: 90,
            max_days: 365,
        };
        assert_eq!(p.lifetime(None).unwrap(), 90);
        assert_eq!(p.lifetime(Some(1)).unwrap(), 1);
        assert_eq!(p.lifetime(Some(365)).unwrap(), 365);
        for bad in [0, 366, u32::MAX] {
            let e = p.lifetime(Some(bad)).unwrap_err();
            assert_eq!(e.code(), "invalid_lifetime");
            assert!(e.to_string().contains("1 to 365"), "{e}");
        }
    }
}
