//! Web sessions and CSRF.
//!
//! A session id is 256 random bits in a cookie (`HttpOnly`, `SameSite=Strict`, `Secure` and the
//! `__Host-` prefix when the node serves HTTPS); the store keeps only its SHA-256. Signing in
//! creates a new id at each step (the password step's session is ended when the second factor
//! succeeds), so an id planted before sign-in never becomes a signed-in session. Every request
//! looks the session up in the store, so sign-out, disablement and timeouts apply on the next
//! request.
//!
//! CSRF: a synchronizer token derived from the session id (or, before sign-in, from a random
//! pre-session cookie): `base64url(SHA-256("cp247-csrf-v1" || id))`. Every state-changing
//! request must carry it as the `csrf` form field, and its `Origin` (or `Sec-Fetch-Site`) must
//! be this site; [`csrf_guard`] checks both for every web route in one place.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use cp247_i18n::Lang;
use cp247_store::{Account, SessionLimits, SessionStage};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::auth::{Access, Role};
use crate::node::NodeContext;

/// The largest form body a web route reads.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// Cookie names: with the `__Host-` prefix under TLS (the browser then refuses them from a
/// sibling host or over plain HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieNames {
    /// The session cookie.
    pub session: &'static str,
    /// The pre-session cookie (CSRF before sign-in).
    pub pre: &'static str,
    /// The language choice (not a secret).
    pub lang: &'static str,
    /// Whether cookies carry `Secure`.
    pub secure: bool,
}

impl CookieNames {
    /// The names for a node serving HTTPS (`tls`) or plain loopback HTTP.
    pub fn new(tls: bool) -> Self {
        if tls {
            Self {
                session: "__Host-cp247_session",
                pre: "__Host-cp247_pre",
                lang: "__Host-cp247_lang",
                secure: true,
            }
        } else {
            Self {
                session: "cp247_session",
                pre: "cp247_pre",
                lang: "cp247_lang",
                secure: false,
            }
        }
    }

    /// A `Set-Cookie` value for `name=value` (session cookie: no `Max-Age`).
    pub fn set(&self, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
        let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
        if self.secure {
            text.push_str("; Secure");
        }
        if let Some(age) = max_age {
            text.push_str(&format!("; Max-Age={age}"));
        }
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// A `Set-Cookie` value that removes `name`.
    pub fn clear(&self, name: &str) -> HeaderValue {
        self.set(name, "", Some(0))
    }
}

/// A new random id (session or pre-session), base64url.
pub fn new_id() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(bytes.as_mut());
    Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice()))
}

/// The SHA-256 under which a session id is stored.
pub fn id_hash(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// The CSRF token for a session or pre-session id.
pub fn csrf_for(id: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"cp247-csrf-v1\0");
    h.update(id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

/// The value of cookie `name` in the request, if it looks like one of our ids.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The session limits of this node.
pub fn limits(ctx: &NodeContext) -> SessionLimits {
    ctx.web.limits
}

/// The language of a request: the account's choice, else the language cookie, else
/// `Accept-Language`.
pub fn lang_of(headers: &HeaderMap, ctx: &NodeContext, account: Option<&Account>) -> Lang {
    if let Some(l) = account
        .and_then(|a| a.lang.as_deref())
        .and_then(|l| l.parse().ok())
    {
        return l;
    }
    if let Some(l) = cookie(headers, ctx.web.cookies.lang).and_then(|l| l.parse().ok()) {
        return l;
    }
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, Lang::negotiate)
}

/// A signed-in person, found through the session cookie.
#[derive(Debug, Clone)]
pub struct Person {
    /// The account.
    pub account: Account,
    /// Its role.
    pub role: Role,
    /// The CSRF token to put in forms.
    pub csrf: String,
    /// The language pages are shown in.
    pub lang: Lang,
    /// The session id's hash (to end it).
    pub session_hash: [u8; 32],
    /// The node's alerts nobody has marked seen (for case workers; 0 for other roles).
    pub unseen_alerts: u64,
}

/// Why a web route refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebRefusal {
    /// Not signed in: to the sign-in page.
    SignIn,
    /// Signed in, but the role does not allow this page.
    Forbidden(Lang),
    /// The store failed.
    Unavailable,
}

impl IntoResponse for WebRefusal {
    fn into_response(self) -> Response {
        match self {
            WebRefusal::SignIn => Redirect::to("/").into_response(),
            WebRefusal::Forbidden(lang) => super::pages::message_page(
                StatusCode::FORBIDDEN,
                lang,
                "web-forbidden-title",
                "web-forbidden-text",
            ),
            WebRefusal::Unavailable => super::pages::message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Lang::En,
                "web-unavailable-title",
                "web-unavailable-text",
            ),
        }
    }
}

/// The signed-in person of a request, whatever their role (`None` when not signed in).
pub async fn person(parts: &Parts, ctx: &NodeContext) -> Result<Option<Person>, WebRefusal> {
    let Some(id) = cookie(&parts.headers, ctx.web.cookies.session) else {
        return Ok(None);
    };
    let hash = id_hash(id);
    let live = ctx
        .store
        .touch_session(&hash, ctx.clock.now(), limits(ctx))
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "checking a web session failed");
            WebRefusal::Unavailable
        })?;
    let Some(live) = live else { return Ok(None) };
    if live.session.stage != SessionStage::SignedIn {
        return Ok(None);
    }
    let Some(role) = Role::of(&live.account.role).filter(Role::signs_in) else {
        return Ok(None);
    };
    let unseen_alerts = if Access::CaseWork.allows(role) {
        ctx.work.unseen_alerts().await.map_err(|e| {
            tracing::warn!(error = %e, "counting unseen alerts failed");
            WebRefusal::Unavailable
        })?
    } else {
        0
    };
    Ok(Some(Person {
        lang: lang_of(&parts.headers, ctx, Some(&live.account)),
        account: live.account,
        role,
        csrf: csrf_for(id),
        session_hash: hash,
        unseen_alerts,
    }))
}

macro_rules! page_extractor {
    ($(#[$doc:meta])* $name:ident, $access:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Person);

        impl $name {
            /// What the route needs.
            pub const ACCESS: Access = $access;
        }

        impl FromRequestParts<Arc<NodeContext>> for $name {
            type Rejection = WebRefusal;

            async fn from_request_parts(
                parts: &mut Parts,
                ctx: &Arc<NodeContext>,
            ) -> Result<Self, Self::Rejection> {
                match person(parts, ctx).await? {
                    None => Err(WebRefusal::SignIn),
                    Some(p) if Self::ACCESS.allows(p.role) => Ok(Self(p)),
                    Some(p) => Err(WebRefusal::Forbidden(p.lang)),
                }
            }
        }
    };
}

page_extractor!(
    /// A signed-in officer or supervisor (case pages).
    CaseWorker,
    Access::CaseWork
);
page_extractor!(
    /// A signed-in person who may see the directory.
    DirectoryViewer,
    Access::Directory
);
page_extractor!(
    /// Any signed-in person.
    AnyPerson,
    Access::SignedIn
);

/// The id whose CSRF token a request must carry: the session's, else the pre-session's.
fn csrf_source<'a>(headers: &'a HeaderMap, ctx: &NodeContext) -> Option<&'a str> {
    cookie(headers, ctx.web.cookies.session).or_else(|| cookie(headers, ctx.web.cookies.pre))
}

/// Whether the request comes from a page of this site: `Sec-Fetch-Site: same-origin` when the
/// browser sends it, and an `Origin` equal to `scheme://Host` when it sends one.
fn same_site(headers: &HeaderMap, tls: bool) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return false;
    }
    match headers.get(ORIGIN) {
        None => true,
        Some(origin) => {
            let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
                return false;
            };
            let scheme = if tls { "https" } else { "http" };
            origin.to_str().ok() == Some(&format!("{scheme}://{host}"))
        }
    }
}

/// The CSRF and origin check of every state-changing web request (one place, as a
/// middleware on the web router). The form body is read (bounded) and handed on unchanged.
pub async fn csrf_guard(
    State(ctx): State<Arc<NodeContext>>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let lang = lang_of(request.headers(), &ctx, None);
    let refuse = || {
        super::pages::message_page(
            StatusCode::FORBIDDEN,
            lang,
            "web-csrf-title",
            "web-csrf-text",
        )
    };
    if !same_site(request.headers(), ctx.tls_pin.is_some()) {
        tracing::info!("a cross-site form submission was refused");
        return refuse();
    }
    let Some(expected) = csrf_source(request.headers(), &ctx).map(csrf_for) else {
        return refuse();
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return super::pages::message_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            lang,
            "web-too-large-title",
            "web-too-large-text",
        );
    };
    let given = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    let matches = given.is_some_and(|g| {
        // Constant-time comparison of equal-length tokens.
        g.len() == expected.len()
            && g.bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    if !matches {
        tracing::info!("a form without a valid CSRF token was refused");
        return refuse();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Adds a pre-session cookie to `response` when the request has neither session nor
/// pre-session, and returns the CSRF token forms must carry.
pub fn ensure_pre_session(headers: &HeaderMap, ctx: &NodeContext) -> (String, Option<HeaderValue>) {
    match csrf_source(headers, ctx) {
        Some(id) => (csrf_for(id), None),
        None => {
            let id = new_id();
            let cookie = ctx.web.cookies.set(ctx.web.cookies.pre, &id, None);
            (csrf_for(&id), Some(cookie))
        }
    }
}

/// Sets `cookie` on `response`.
pub fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        response.headers_mut().append(SET_COOKIE, c);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_strict_httponly_and_secure_under_tls() {
        let tls = CookieNames::new(true);
        let v = tls.set(tls.session, "abc", None);
        let v = v.to_str().unwrap();
        assert!(v.starts_with("__Host-cp247_session=abc; Path=/"));
        for attr in ["HttpOnly", "SameSite=Strict", "Secure"] {
            assert!(v.contains(attr), "{v}");
        }
        let plain = CookieNames::new(false);
        assert!(
            !plain
                .set(plain.session, "x", None)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
        assert!(plain.clear("a").to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn ids_are_random_and_tokens_are_bound_to_them() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(*a, *b);
        assert_eq!(a.len(), 43);
        assert_ne!(csrf_for(&a), csrf_for(&b));
        assert_eq!(csrf_for(&a), csrf_for(&a));
        assert_ne!(id_hash(&a), id_hash(&b));
    }

    #[test]
    fn origin_must_be_this_site() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_site(&h, false));
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(same_site(&h, false));
        assert!(!same_site(&h, true));
        h.insert(ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_site(&h, false));
        h.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_site(&h, false));
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_site(&h, false));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("xcp247_session=bad; cp247_session=good; other=1"),
        );
        assert_eq!(cookie(&h, "cp247_session"), Some("good"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
