#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! TOTP seeds at rest (issue #10, ADR 0021), on SQLite and PostgreSQL: a database of an
//! earlier version holds seeds in plain text; at start the node creates its secrets key (the
//! node directory had none) and seals them; sign-in (password and TOTP code) keeps working; a
//! second start changes nothing; a node started with another node's key file, or without its
//! key file, refuses to start and says why; a sealed seed copied onto another account does not
//! open.

mod node_harness;

use std::sync::Arc;

use cp247_domain::{Clock, ManualClock, SystemClock};
use cp247_server::accounts::{Password, Passwords, RecoveryCodes, SignIn, TotpSecret};
use cp247_server::secrets::{SecretsError, SecretsKey, open_for_node};
use cp247_server::throttle::{Source, Throttle};
use cp247_store::{NewAccount, Store, StoreOptions, ThrottlePolicy, TokenRole};

const PASSWORD: &str = "a long enough password";

/// Accounts as an earlier version stored them: the seed in base32, in clear.
async fn old_accounts(store: &Store, now: jiff::Timestamp) -> Vec<(u64, TotpSecret)> {
    let mut out = Vec::new();
    for name in ["duty", "chief"] {
        let seed = TotpSecret::generate();
        let mut tx = store.begin().await.unwrap();
        let a = tx
            .create_account(&NewAccount {
                username: name.into(),
                display_name: format!("{name} name"),
                role: TokenRole::parse("officer").unwrap(),
                password_phc: Some(Passwords::hash(&Password::new(PASSWORD.into())).unwrap()),
                totp_secret: Some(seed.to_base32()),
                recovery_codes: RecoveryCodes::generate().hashes(),
                created_at: now,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        out.push((a.id, seed));
    }
    out
}

async fn scenario(url: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let key_path = tmp.path().join("secrets.key");
    let now = SystemClock.now();
    let store = Store::connect(url, StoreOptions::default()).await.unwrap();
    let accounts = old_accounts(&store, now).await;

    // First start of the new version: the key file is created, both seeds are sealed.
    let (key, report) = open_for_node(&key_path, &store).await.unwrap();
    assert!(report.created);
    assert_eq!(report.sealed, 2);
    let stored = store.totp_secrets_after(0, 10).await.unwrap();
    for ((_, name, text), (_, seed)) in stored.iter().zip(&accounts) {
        assert!(text.starts_with("sealed:v1:"), "{name}: {text}");
        assert!(!text.contains(&seed.to_base32()), "{name}");
        assert_eq!(
            key.open_totp(name, text).unwrap().to_base32(),
            seed.to_base32()
        );
    }
    // A second start: the same key, nothing left to seal.
    let (again, report) = open_for_node(&key_path, &store).await.unwrap();
    assert_eq!(again.id(), key.id());
    assert!(!report.created);
    assert_eq!(report.sealed, 0);

    // Sign-in keeps working: password, then the TOTP code, opened with the key.
    let clock = Arc::new(ManualClock::new(now));
    let signer = SignIn {
        store: store.clone(),
        clock: clock.clone(),
        passwords: Arc::new(Passwords::new().unwrap()),
        throttle: Throttle::new(store.clone(), ThrottlePolicy::default()),
        secrets: Arc::new(again),
    };
    let source = Source::of("127.0.0.1".parse().unwrap());
    let account = signer
        .password("duty", Password::new(PASSWORD.into()), &source)
        .await
        .unwrap();
    let code = accounts[0]
        .1
        .code_at(u64::try_from(clock.now().as_second()).unwrap());
    let signed = signer
        .second_factor(account.id, &code, &source)
        .await
        .unwrap();
    assert_eq!(signed.username, "duty");

    // A sealed seed copied onto another account (as someone with database access could) does
    // not open there: the second factor is refused.
    let duty_sealed = stored[0].2.clone();
    assert!(
        store
            .replace_totp_secret(accounts[1].0, &stored[1].2, &duty_sealed)
            .await
            .unwrap()
    );
    clock.advance(jiff::SignedDuration::from_secs(31));
    let chief = signer
        .password("chief", Password::new(PASSWORD.into()), &source)
        .await
        .unwrap();
    let duty_code = accounts[0]
        .1
        .code_at(u64::try_from(clock.now().as_second()).unwrap());
    assert!(
        signer
            .second_factor(chief.id, &duty_code, &source)
            .await
            .is_err(),
        "a seed copied from another account opened"
    );

    // Another node's key file: the node refuses to start and names both keys.
    let other_path = tmp.path().join("other.key");
    let other = SecretsKey::create(&other_path).unwrap();
    match open_for_node(&other_path, &store).await {
        Err(e @ SecretsError::OtherKey { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(key.id()) && text.contains(other.id()),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    // No key file while seeds are sealed: refused (never a new key that opens nothing).
    let missing = tmp.path().join("missing.key");
    let err = open_for_node(&missing, &store)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.key") && err.contains("backup"),
        "{err}"
    );
    assert!(!missing.exists());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_seeds_are_sealed_at_start_and_sign_in_goes_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    scenario(&format!(
        "sqlite://{}",
        tmp.path().join("cp247.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_seeds_are_sealed_at_start_and_sign_in_goes_on_postgres() {
    let Some(db) = node_harness::pg_database("plain_seeds_are_sealed_at_start") else {
        return;
    };
    scenario(&db.url).await;
}
