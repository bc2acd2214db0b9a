//! Roles, and API tokens: issued once, stored only as a SHA-256 hash, presented as a bearer
//! token. A token belongs to an account and acts with the account's role until it expires or
//! is revoked; who may issue which token is decided in [`crate::tokens`] (ADR 0020).
//!
//! What each role may do is decided in one place, [`Access::allows`]. A handler proves who calls
//! it by taking an extractor: [`Officer`] (case work), [`DirectoryReader`], [`Admin`] or
//! [`Monitor`]. The routes without one are listed in [`crate::routes::ROUTES`] as public, and a
//! test checks every route against every role.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use cp247_store::{ApiToken, TokenRole};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::ApiError;
use crate::node::NodeContext;

/// The prefix of every cp247 API token (so that secret scanners can find leaked ones).
pub const TOKEN_PREFIX: &str = "cp247_";

/// The role of an account (and of its API tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sees and acts on the node's cases: composes, sends, acknowledges, replies.
    Officer,
    /// Everything an officer does, plus reassignment and statistics.
    Supervisor,
    /// Manages accounts, keys, tokens, peers and settings; cannot read case content.
    Administrator,
    /// Sees the directory only.
    ReadOnly,
    /// A monitoring service: reads metrics only (API tokens; never signs in to the web).
    Monitor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Officer,
        Role::Supervisor,
        Role::Administrator,
        Role::ReadOnly,
        Role::Monitor,
    ];

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
            Role::ReadOnly => "read_only",
            Role::Monitor => "monitor",
        }
    }

    /// Parses a role name (`admin` is the name earlier versions gave the administrator).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "admin" {
            return Ok(Role::Administrator);
        }
        Self::ALL.into_iter().find(|r| r.as_str() == text).ok_or_else(|| {
            format!(
                "'{text}' is not a role: use officer, supervisor, administrator, read_only or monitor"
            )
        })
    }

    /// The store's role token.
    pub fn token_role(&self) -> Result<TokenRole, cp247_store::StoreError> {
        TokenRole::parse(self.as_str())
    }

    /// The role a stored account or token holds; an unknown name grants nothing.
    pub fn of(stored: &TokenRole) -> Option<Role> {
        Role::parse(stored.as_str()).ok()
    }

    /// Whether people with this role sign in to the web interface.
    pub fn signs_in(&self) -> bool {
        match self {
            Role::Officer | Role::Supervisor | Role::Administrator | Role::ReadOnly => true,
            Role::Monitor => false,
        }
    }
}

/// What a route needs. [`Access::allows`] is the one table of who may do what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Case content and case actions.
    CaseWork,
    /// The network directory (Parties, contact points, office hours).
    Directory,
    /// Accounts, tokens, keys, peers, directory refresh, settings.
    Administration,
    /// Metrics.
    Monitoring,
    /// Any signed-in person (their own session, language, sign-out).
    SignedIn,
    /// The sign-in throttles in force, and lifting them (supervisor or administrator).
    SignInThrottles,
}

impl Access {
    /// Whether `role` may use a route that needs this access.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::CaseWork => matches!(role, Role::Officer | Role::Supervisor),
            Access::Directory => matches!(
                role,
                Role::Officer | Role::Supervisor | Role::Administrator | Role::ReadOnly
            ),
            Access::Administration => matches!(role, Role::Administrator),
            Access::Monitoring => matches!(role, Role::Monitor | Role::Administrator),
            Access::SignedIn => true,
            Access::SignInThrottles => matches!(role, Role::Supervisor | Role::Administrator),
        }
    }

    /// The name used in refusals.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::CaseWork => "case work (officer or supervisor)",
            Access::Directory => "directory",
            Access::Administration => "administration (administrator)",
            Access::Monitoring => "monitoring (monitor or administrator)",
            Access::SignedIn => "signed in",
            Access::SignInThrottles => "sign-in throttles (supervisor or administrator)",
        }
    }
}

/// A freshly issued token: shown once, never stored. `Debug` redacts it.
pub struct IssuedToken {
    text: Zeroizing<String>,
}

impl IssuedToken {
    /// A new random token (256 bits).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice());
        Self {
            text: Zeroizing::new(format!("{TOKEN_PREFIX}{encoded}")),
        }
    }

    /// The token text, to print once.
    pub fn reveal(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IssuedToken(***)")
    }
}

/// The SHA-256 under which a token is stored.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Checks the bearer token of a request and returns the live token record.
async fn authenticate(parts: &Parts, ctx: &NodeContext) -> Result<ApiToken, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(ApiError::unauthorized)?;
    let text = header.to_str().map_err(|_| ApiError::unauthorized())?;
    let token = text
        .strip_prefix("Bearer ")
        .ok_or_else(ApiError::unauthorized)?
        .trim();
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Err(ApiError::unauthorized());
    }
    let found = ctx
        .store
        .verify_token(&token_hash(token), ctx.clock.now())
        .await
        .map_err(|e| ApiError::store("checking an API token", &e))?;
    found.ok_or_else(ApiError::unauthorized)
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $access:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub ApiToken);

        impl $name {
            /// What the route needs.
            pub const ACCESS: Access = $access;

            /// The token's name, for the audit trail.
            pub fn name(&self) -> &str {
                &self.0.name
            }
        }

        impl FromRequestParts<Arc<NodeContext>> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                ctx: &Arc<NodeContext>,
            ) -> Result<Self, Self::Rejection> {
                let token = authenticate(parts, ctx).await?;
                match Role::of(&token.role) {
                    Some(role) if Self::ACCESS.allows(role) => Ok(Self(token)),
                    Some(_) | None => Err(ApiError::forbidden(Self::ACCESS.as_str())),
                }
            }
        }
    };
}

role_extractor!(
    /// A caller whose token's account may do case work (officer, supervisor).
    Officer,
    Access::CaseWork
);
role_extractor!(
    /// A caller whose token's account may read the directory.
    DirectoryReader,
    Access::Directory
);
role_extractor!(
    /// A caller whose token's account is an administrator.
    Admin,
    Access::Administration
);
role_extractor!(
    /// A caller whose token's account may read metrics (monitor, administrator).
    Monitor,
    Access::Monitoring
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_redacted() {
        let a = IssuedToken::generate();
        let b = IssuedToken::generate();
        assert_ne!(a.reveal(), b.reveal());
        assert!(a.reveal().starts_with(TOKEN_PREFIX));
        assert_eq!(a.reveal().len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(format!("{a:?}"), "IssuedToken(***)");
        assert_eq!(token_hash(a.reveal()), token_hash(a.reveal()));
        assert_ne!(token_hash(a.reveal()), token_hash(b.reveal()));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
            assert!(r.token_role().is_ok());
        }
        assert!(Role::parse("root").unwrap_err().contains("officer"));
        assert_eq!(Role::parse("admin").unwrap(), Role::Administrator);
        // The administrator never reads case content; read-only sees only the directory.
        assert!(!Access::CaseWork.allows(Role::Administrator));
        for a in [Access::CaseWork, Access::Administration, Access::Monitoring] {
            assert!(!a.allows(Role::ReadOnly), "{a:?}");
        }
    }
}
