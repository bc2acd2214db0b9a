//! API tokens: issued once, stored only as a SHA-256 hash, presented as a bearer token.
//!
//! A handler proves who calls it by taking an extractor: [`Officer`] (officer or admin),
//! [`Admin`], or [`Monitor`] (monitor or admin, for `/metrics`). The routes without one are
//! listed in [`crate::routes::PUBLIC_ROUTES`], which a test checks.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use cp247_store::{ApiToken, NewApiToken, TokenRole};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::ApiError;
use crate::node::NodeContext;

/// The prefix of every cp247 API token (so that secret scanners can find leaked ones).
pub const TOKEN_PREFIX: &str = "cp247_";

/// A role an API token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Creates and sends requests, reads the node's tickets.
    Officer,
    /// Everything an officer can, plus directory refresh, tokens, peers and metrics.
    Admin,
    /// Reads metrics only.
    Monitor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Officer, Role::Admin, Role::Monitor];

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Admin => "admin",
            Role::Monitor => "monitor",
        }
    }

    /// Parses a role name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| format!("'{text}' is not a role: use officer, admin or monitor"))
    }

    /// The store's token role.
    pub fn token_role(&self) -> Result<TokenRole, cp247_store::StoreError> {
        TokenRole::parse(self.as_str())
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
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref());
        Self {
            text: Zeroizing::new(format!("{TOKEN_PREFIX}{encoded}")),
        }
    }

    /// The token text, to print once.
    pub fn reveal(&self) -> &str {
        &self.text
    }

    /// The record to store for it.
    pub fn record(
        &self,
        name: &str,
        role: Role,
        at: jiff::Timestamp,
    ) -> Result<NewApiToken, cp247_store::StoreError> {
        Ok(NewApiToken {
            name: name.to_owned(),
            role: role.token_role()?,
            token_sha256: token_hash(&self.text),
            created_at: at,
        })
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

fn role_of(token: &ApiToken) -> Option<Role> {
    Role::parse(token.role.as_str()).ok()
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $needed:literal, [$($role:ident),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub ApiToken);

        impl $name {
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
                match role_of(&token) {
                    $(Some(Role::$role))|+ => Ok(Self(token)),
                    _ => Err(ApiError::forbidden($needed)),
                }
            }
        }
    };
}

role_extractor!(
    /// A caller holding an officer or admin token.
    Officer,
    "officer",
    [Officer, Admin]
);
role_extractor!(
    /// A caller holding an admin token.
    Admin,
    "admin",
    [Admin]
);
role_extractor!(
    /// A caller holding a monitor or admin token.
    Monitor,
    "monitor",
    [Monitor, Admin]
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
    }
}
