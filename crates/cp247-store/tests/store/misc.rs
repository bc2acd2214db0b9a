//! API tokens, the stored directory, peer state.

use cp247_domain::PartyCode;
use cp247_store::{
    Actor, DirectoryRecord, DirectorySaved, NewApiToken, Page, StoreError, StoreOptions,
    TokenOrigin, TokenRole,
};
use sha2::{Digest, Sha256};

use crate::common::{Ctx, at, de, on_both};

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

async fn tokens(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let new = NewApiToken {
        name: "case-system".to_owned(),
        role: TokenRole::parse("integrator")?,
        account_id: None,
        token_sha256: token_hash("cp247_tok_secret"),
        created_at: at(0),
        expires_at: at(1000),
        origin: TokenOrigin::Operator,
        issued_by: Actor::parse("operator:socket")?,
    };
    assert!(!format!("{new:?}").contains(&hex::encode(new.token_sha256)));
    let mut tx = store.begin().await?;
    let created = tx.create_api_token(&new).await?;
    let second = tx
        .create_api_token(&NewApiToken {
            name: "read-only".to_owned(),
            role: TokenRole::parse("read_only")?,
            account_id: None,
            token_sha256: token_hash("other"),
            created_at: at(0),
            expires_at: at(200),
            origin: TokenOrigin::Admin,
            issued_by: Actor::token("ops")?,
        })
        .await?;
    tx.commit().await?;
    assert_eq!((created.id, second.id), (1, 2));
    assert_eq!(created.last_used_at, None);
    assert_eq!(
        (
            created.account.as_str(),
            created.origin,
            created.issued_by.as_str(),
            created.expires_at
        ),
        (
            "token-case-system",
            TokenOrigin::Operator,
            "operator:socket",
            at(1000)
        )
    );

    let found = store
        .verify_token(&token_hash("cp247_tok_secret"), at(10))
        .await?
        .unwrap();
    assert_eq!(found.name, "case-system");
    assert_eq!(found.last_used_at, Some(at(10)));
    // Within a minute the use is not written again.
    let again = store
        .verify_token(&token_hash("cp247_tok_secret"), at(30))
        .await?
        .unwrap();
    assert_eq!(again.last_used_at, Some(at(10)));
    let later = store
        .verify_token(&token_hash("cp247_tok_secret"), at(80))
        .await?
        .unwrap();
    assert_eq!(later.last_used_at, Some(at(80)));
    assert_eq!(
        store.verify_token(&token_hash("wrong"), at(10)).await?,
        None
    );

    let mut tx = store.begin().await?;
    let dup = tx.create_api_token(&new).await.unwrap_err();
    assert!(dup.is_conflict(), "{dup:?}");
    drop(tx);
    let mut tx = store.begin().await?;
    let revoked = tx.revoke_api_token(created.id, at(100)).await?;
    tx.commit().await?;
    assert_eq!(revoked.revoked_at, Some(at(100)));
    assert_eq!(
        store
            .verify_token(&token_hash("cp247_tok_secret"), at(101))
            .await?,
        None
    );
    // Live tokens per issuer: the revoked one no longer counts, nor an expired one.
    let socket = Actor::parse("operator:socket")?;
    assert_eq!(store.live_tokens_issued_by(&socket, at(101)).await?, 0);
    let ops = Actor::token("ops")?;
    assert_eq!(store.live_tokens_issued_by(&ops, at(199)).await?, 1);
    assert_eq!(store.live_tokens_issued_by(&ops, at(200)).await?, 0);
    // An expired token is refused like a revoked one, from its expiry on.
    assert!(
        store
            .verify_token(&token_hash("other"), at(199))
            .await?
            .is_some()
    );
    assert_eq!(
        store.verify_token(&token_hash("other"), at(200)).await?,
        None
    );
    let all = store.api_tokens(Page::first(10)).await?;
    assert_eq!(all.items.len(), 2);
    assert!(!all.items[1].is_live(at(200)) && all.items[1].is_live(at(199)));
    let of = store
        .api_tokens_of(second.account_id, Page::first(10))
        .await?;
    assert_eq!(of.items.iter().map(|t| t.id).collect::<Vec<_>>(), vec![2]);
    assert_eq!(store.api_token(2).await?.name, "read-only");
    // An expiry that is not after the issue is refused.
    let mut tx = store.begin().await?;
    let err = tx
        .create_api_token(&NewApiToken {
            name: "dead".into(),
            token_sha256: token_hash("dead"),
            expires_at: at(0),
            ..new.clone()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expiry"), "{err}");
    drop(tx);
    let mut tx = store.begin().await?;
    let err = tx.revoke_api_token(99, at(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    Ok(())
}
on_both!(api_tokens_are_checked_by_hash_and_revocable, tokens);

fn dir(serial: u64, text: &str) -> DirectoryRecord {
    DirectoryRecord {
        serial,
        document: text.as_bytes().to_vec(),
        signature: Some("-----BEGIN PGP SIGNATURE-----".to_owned()),
        fetched_at: at(serial as i64),
    }
}

async fn directory(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx
        .store_with(StoreOptions {
            max_directory_bytes: 1000,
            ..StoreOptions::default()
        })
        .await;
    assert_eq!(store.directory().await?, None);
    assert_eq!(
        store.save_directory(&dir(5, "{\"serial\":5}")).await?,
        DirectorySaved::Stored
    );
    assert_eq!(
        store.save_directory(&dir(5, "{\"serial\":5}")).await?,
        DirectorySaved::Unchanged
    );
    let err = store
        .save_directory(&dir(5, "{\"serial\":5,\"x\":1}"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a different document with this serial"),
        "{err}"
    );
    let err = store.save_directory(&dir(4, "{}")).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::DirectoryRollback {
                current: 5,
                offered: 4
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("rollback is refused"));
    let err = store
        .save_directory(&dir(9, &"x".repeat(1001)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { .. }), "{err:?}");
    assert_eq!(
        store.save_directory(&dir(6, "{\"serial\":6}")).await?,
        DirectorySaved::Stored
    );
    store.close().await;
    drop(store);
    let store = ctx.store().await;
    let d = store.directory().await?.unwrap();
    assert_eq!(d, dir(6, "{\"serial\":6}"));
    assert!(!format!("{d:?}").contains("serial\\\":6"));
    Ok(())
}
on_both!(
    the_newest_directory_survives_a_restart_and_never_rolls_back,
    directory
);

async fn peers(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let gb = PartyCode::parse("GB")?;
    assert_eq!(store.peer_state(de()).await?, None);
    store.record_peer_contact(de(), at(1), Some(-1500)).await?;
    store
        .record_peer_error(
            de(),
            at(2),
            "TLS handshake failed:\ncertificate pin mismatch",
        )
        .await?;
    store.record_peer_contact(de(), at(3), None).await?;
    store.record_peer_error(gb, at(4), "timeout").await?;
    let s = store.peer_state(de()).await?.unwrap();
    assert_eq!(s.last_contact_at, Some(at(3)));
    assert_eq!(
        s.clock_skew_ms,
        Some(-1500),
        "an unknown skew keeps the last one seen"
    );
    assert_eq!(
        s.last_error.as_deref(),
        Some("TLS handshake failed: certificate pin mismatch")
    );
    assert_eq!(s.last_error_at, Some(at(2)));
    assert_eq!(s.updated_at, at(3));
    let all = store.peer_states(Page::first(10)).await?;
    let parties: Vec<_> = all.items.iter().map(|p| p.party).collect();
    assert_eq!(parties, [de(), gb]);
    assert_eq!(all.items[1].last_contact_at, None);
    Ok(())
}
on_both!(peer_state_records_contacts_and_errors, peers);
