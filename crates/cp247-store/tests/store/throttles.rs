//! Sign-in throttles (migration 0008): growing delays admitted by one conditional update per
//! bucket, refused attempts that change nothing, parallel attempts admitted at most `free + 1`
//! times, the owner's pair untouched by another source's, and bounded state.

use std::sync::Arc;

use cp247_store::{Admission, SignInStep, Store, ThrottleAttempt, ThrottlePolicy, ThrottleScope};
use jiff::SignedDuration;

use crate::common::{Ctx, at, on_both};

fn attempt<'a>(step: SignInStep, pair: &'a str, source: &'a str) -> ThrottleAttempt<'a> {
    ThrottleAttempt {
        step,
        pair,
        username: Some("alice"),
        source,
    }
}

const POLICY: ThrottlePolicy = ThrottlePolicy {
    pair_free: 5,
    code_free: 3,
    source_free: 30,
    first_delay: SignedDuration::from_secs(1),
    max_delay: SignedDuration::from_secs(8),
    forget_after: SignedDuration::from_mins(10),
    max_rows: 10_000,
    trust_for: SignedDuration::from_hours(24),
    max_trusted_per_account: 2,
};

async fn delays(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let a = attempt(SignInStep::Password, "h-alice 127.0.0.2", "127.0.0.2");
    // Five free attempts, then 1 s, 2 s, 4 s, 8 s, 8 s (the longest).
    let mut t = at(0);
    for _ in 0..5 {
        assert_eq!(
            store.admit_sign_in(&a, t, &POLICY).await?,
            Admission::Admitted
        );
    }
    for delay in [1, 2, 4, 8, 8] {
        assert_eq!(
            store.admit_sign_in(&a, t, &POLICY).await?,
            Admission::Admitted
        );
        let until = t + SignedDuration::from_secs(delay);
        // Attempts during the delay are refused and do not move its end.
        for k in 0..5 {
            let during = t + SignedDuration::from_millis(k * 100);
            assert_eq!(
                store.admit_sign_in(&a, during, &POLICY).await?,
                Admission::Delayed { until },
                "{delay} s delay, attempt {k}"
            );
        }
        t = until;
    }
    // At the end of the last delay, the next attempt is admitted (the longest delay again).
    assert_eq!(
        store.admit_sign_in(&a, t, &POLICY).await?,
        Admission::Admitted
    );
    // The owner from another source is not delayed.
    let owner = attempt(SignInStep::Password, "h-alice 127.0.0.1", "127.0.0.1");
    assert_eq!(
        store.admit_sign_in(&owner, t, &POLICY).await?,
        Admission::Admitted
    );
    store.sign_in_succeeded(&owner, t, &POLICY).await?;

    // The supervisors' list shows the attacker's pair delaying, and the source counted.
    let rows = store.sign_in_throttles(t, &POLICY, 100).await?;
    let pair = rows
        .iter()
        .find(|r| r.scope == ThrottleScope::Pair && r.source == "127.0.0.2")
        .unwrap();
    assert_eq!(pair.attempts, 11);
    assert_eq!(pair.username.as_deref(), Some("alice"));
    assert_eq!(pair.delayed_until, Some(t + SignedDuration::from_secs(8)));
    let source = rows
        .iter()
        .find(|r| r.scope == ThrottleScope::Source && r.source == "127.0.0.2")
        .unwrap();
    assert_eq!(source.attempts, 11);
    // The owner's pair was reset by the success (nothing in force), the source refunded.
    assert!(!rows.iter().any(|r| r.source == "127.0.0.1"), "{rows:#?}");

    // Lifting: the attacker's pair admits again at once, free attempts anew.
    let lifted = store
        .lift_sign_in_throttle(ThrottleScope::Pair, &pair.bucket, t)
        .await?
        .unwrap();
    assert_eq!(lifted.attempts, 11);
    for _ in 0..5 {
        assert_eq!(
            store.admit_sign_in(&a, t, &POLICY).await?,
            Admission::Admitted
        );
    }
    assert!(
        store
            .lift_sign_in_throttle(ThrottleScope::Pair, "no such bucket", t)
            .await?
            .is_none()
    );

    // Idle for the forget period: it starts over (five free again).
    let later = t + SignedDuration::from_mins(11);
    for _ in 0..6 {
        assert_eq!(
            store.admit_sign_in(&a, later, &POLICY).await?,
            Admission::Admitted
        );
    }
    assert!(matches!(
        store.admit_sign_in(&a, later, &POLICY).await?,
        Admission::Delayed { .. }
    ));

    // The second factor has its own counter on the same pair.
    let code = attempt(SignInStep::SecondFactor, "h-alice 127.0.0.2", "127.0.0.2");
    for _ in 0..4 {
        assert_eq!(
            store.admit_sign_in(&code, later, &POLICY).await?,
            Admission::Admitted
        );
    }
    assert_eq!(
        store.admit_sign_in(&code, later, &POLICY).await?,
        Admission::Delayed {
            until: later + SignedDuration::from_secs(1)
        }
    );
    Ok(())
}
on_both!(throttles_delay_grow_and_refusals_do_not_extend_them, delays);

async fn parallel(ctx: Ctx) -> anyhow::Result<()> {
    let store = Arc::new(ctx.store().await);
    let now = at(0);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store: Arc<Store> = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .admit_sign_in(
                    &attempt(SignInStep::Password, "h-alice 192.0.2.9", "192.0.2.9"),
                    now,
                    &POLICY,
                )
                .await
        }));
    }
    let mut admitted = 0;
    for t in tasks {
        if t.await?? == Admission::Admitted {
            admitted += 1;
        }
    }
    // Five free, and the one that starts the first delay.
    assert_eq!(admitted, 6);
    Ok(())
}
on_both!(fifty_parallel_attempts_admit_six, parallel);

/// A source's bucket refuses an attempt without charging its pair (one transaction).
async fn both_or_neither(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let policy = ThrottlePolicy {
        source_free: 3,
        ..POLICY
    };
    let now = at(0);
    // A spray of names from one source: three free, the fourth starts the source's delay.
    for name in ["a", "b", "c", "d"] {
        assert_eq!(
            store
                .admit_sign_in(
                    &attempt(SignInStep::Password, name, "198.51.100.1"),
                    now,
                    &policy
                )
                .await?,
            Admission::Admitted
        );
    }
    let refused = store
        .admit_sign_in(
            &attempt(SignInStep::Password, "e", "198.51.100.1"),
            now,
            &policy,
        )
        .await?;
    assert_eq!(
        refused,
        Admission::Delayed {
            until: now + SignedDuration::from_secs(1)
        }
    );
    // Pair "e" was not created or charged: the refusal rolled it back.
    let rows = store.sign_in_throttles(now, &policy, 100).await?;
    assert_eq!(rows.len(), 5, "{rows:#?}");
    Ok(())
}
on_both!(a_refusal_charges_no_bucket, both_or_neither);

async fn count(ctx: &Ctx, filter: &str) -> i64 {
    let pool = ctx.raw().await;
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM sign_in_throttles WHERE {filter}"
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    n
}

fn fresh<'a>(pair: &'a str, source: &'a str) -> ThrottleAttempt<'a> {
    ThrottleAttempt {
        step: SignInStep::Password,
        pair,
        username: None,
        source,
    }
}

async fn bounded(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let policy = ThrottlePolicy {
        max_rows: 20,
        ..POLICY
    };
    let now = at(0);
    // The owner completes sign-in once from the office: that pair becomes trusted.
    let office = attempt(SignInStep::SecondFactor, "h-alice 10.0.0.1", "10.0.0.1");
    assert_eq!(
        store.admit_sign_in(&office, now, &policy).await?,
        Admission::Admitted
    );
    store.sign_in_succeeded(&office, now, &policy).await?;
    assert_eq!(count(&ctx, "trusted_until_us IS NOT NULL").await, 1);
    // A spray from 100 sources (think IPv6 /64s): new rows stop at the cap.
    let mut full = 0;
    for i in 0..100 {
        let source = format!("2001:db8:{i:x}::/64");
        let pair = format!("h-nobody {source}");
        match store
            .admit_sign_in(&fresh(&pair, &source), now, &policy)
            .await?
        {
            Admission::Admitted => {}
            Admission::Full => full += 1,
            Admission::Delayed { .. } => panic!("a new source was delayed"),
        }
    }
    // 20 rows that are not trusted at most (a refused attempt leaves no half-made pair), and
    // the trusted one.
    assert!(count(&ctx, "trusted_until_us IS NULL").await <= 20);
    assert_eq!(store.sign_in_throttle_count().await?, 20);
    assert_eq!(full, 91);

    // The owner's trusted pair still gets in while the table is full, even when its source's
    // row is gone.
    ctx.exec("DELETE FROM sign_in_throttles WHERE scope = 'source' AND bucket = '10.0.0.1'")
        .await?;
    assert_eq!(
        store
            .admit_sign_in(&fresh("h-y 192.0.2.1", "192.0.2.1"), now, &policy)
            .await?,
        Admission::Admitted
    );
    assert_eq!(count(&ctx, "trusted_until_us IS NULL").await, 20);
    let password = attempt(SignInStep::Password, "h-alice 10.0.0.1", "10.0.0.1");
    assert_eq!(
        store.admit_sign_in(&password, now, &policy).await?,
        Admission::Admitted
    );
    // Anyone else new is refused.
    assert_eq!(
        store
            .admit_sign_in(&fresh("h-z 192.0.2.2", "192.0.2.2"), now, &policy)
            .await?,
        Admission::Full
    );

    // After the forget period an admission cleans the idle rows itself (the trusted pair
    // stays), and new sources are admitted again.
    let later = now + SignedDuration::from_mins(11);
    assert_eq!(
        store
            .admit_sign_in(&fresh("h-z 192.0.2.2", "192.0.2.2"), later, &policy)
            .await?,
        Admission::Admitted
    );
    assert_eq!(store.sign_in_throttle_count().await?, 3);
    let removed = store
        .clean_sign_in_throttles(later + SignedDuration::from_mins(11), &policy)
        .await?;
    assert_eq!(removed, 2);
    assert_eq!(store.sign_in_throttle_count().await?, 1);

    // At most two trusted pairs per account: a third success from a new source is not
    // trusted (the owner still signs in; the pair is only not kept).
    let end = later + SignedDuration::from_mins(11);
    for source in ["10.0.0.2", "10.0.0.3"] {
        let pair = format!("h-alice {source}");
        let a = attempt(SignInStep::SecondFactor, &pair, source);
        assert_eq!(
            store.admit_sign_in(&a, end, &policy).await?,
            Admission::Admitted
        );
        store.sign_in_succeeded(&a, end, &policy).await?;
    }
    assert_eq!(count(&ctx, "trusted_until_us IS NOT NULL").await, 2);
    // Trust ends with its period; the row is then removed like any other.
    let after_trust = end + SignedDuration::from_hours(25);
    store.clean_sign_in_throttles(after_trust, &policy).await?;
    assert_eq!(store.sign_in_throttle_count().await?, 0);
    Ok(())
}
on_both!(throttle_state_is_bounded, bounded);
