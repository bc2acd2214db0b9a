//! The audit chain: appends, database-level refusal of changes, and detection of altered,
//! removed, moved and truncated entries even with the refusals removed.

use cp247_store::{
    Anchor, AnchorSource, AuditAction, AuditHead, Backend, ChainFault, Checkpoint, GENESIS_HASH,
    Store, StoreError, checkpoint_signing_text, entry_hash,
};

use crate::common::{Ctx, Ids, at, audit, fr, on_both};

/// Appends `n` entries and returns the head.
async fn fill(store: &Store, n: i64) -> AuditHead {
    let mut ids = Ids::new(30);
    let t = ids.ticket(fr());
    for i in 0..n {
        let ticket = (i % 2 == 0).then_some(&t);
        store
            .append_audit(&audit(AuditAction::View, ticket, at(i)))
            .await
            .unwrap();
    }
    store.audit_head().await.unwrap()
}

async fn drop_trigger(ctx: &Ctx, name: &str) {
    let sql = match ctx.backend {
        Backend::Sqlite => format!("DROP TRIGGER {name}"),
        Backend::Postgres => {
            let table = if name.starts_with("audit_head") {
                "audit_head"
            } else {
                "audit_log"
            };
            format!("DROP TRIGGER {name} ON {table}")
        }
    };
    ctx.exec(&sql).await.unwrap();
}

async fn chain(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let empty = store.verify_chain(&[]).await?;
    assert!(empty.is_intact());
    assert_eq!(empty.last.hash, GENESIS_HASH);
    let head = fill(&store, 12).await;
    assert_eq!(head.seq, 12);
    let entries = store.audit_entries(0, 100).await?;
    assert_eq!(entries.len(), 12);
    assert_eq!(entries[0].prev_hash, GENESIS_HASH);
    for w in entries.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
        assert_eq!(w[1].seq, w[0].seq + 1);
    }
    // Anyone can recompute a hash from the documented encoding.
    let e = &entries[3];
    assert_eq!(
        entry_hash(
            e.seq,
            e.at.as_microsecond(),
            e.actor.as_str(),
            e.action.as_str(),
            e.ticket.as_ref().map(|t| t.as_str()),
            e.result.as_str(),
            &e.details,
            &e.prev_hash
        ),
        e.hash
    );
    assert_eq!(entries.last().unwrap().hash, head.hash);
    let report = store.verify_chain(&[]).await?;
    assert!(report.is_intact(), "{:?}", report.faults);
    assert_eq!((report.entries, report.last.clone()), (12, head.clone()));
    // Paging through audit_entries.
    assert_eq!(store.audit_entries(10, 100).await?.len(), 2);
    Ok(())
}
on_both!(appends_form_a_verifiable_chain, chain);

async fn refused(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let head = fill(&store, 3).await;
    for sql in [
        "UPDATE audit_log SET actor = 'someone' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET seq = 1",
        "UPDATE audit_head SET hash = 'ff'",
    ] {
        let err = ctx.exec(sql).await.unwrap_err().to_string();
        assert!(
            err.contains("append-only") || err.contains("audit_head") || err.contains("cannot"),
            "{sql}: {err}"
        );
    }
    if ctx.backend == Backend::Postgres {
        let err = ctx
            .exec("TRUNCATE audit_log")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("append-only"), "{err}");
    }
    // An entry that does not follow the head is refused too.
    let err = ctx
        .exec(&format!(
            "INSERT INTO audit_log (seq, at_us, actor, action, ticket_id, result, details, \
             prev_hash, hash) VALUES (4, 0, 'x', 'view', NULL, 'ok', '{{}}', '{GENESIS_HASH}', \
             'abc')"
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not follow the chain head"), "{err}");
    assert_eq!(store.audit_head().await?, head);
    assert!(store.verify_chain(&[]).await?.is_intact());
    Ok(())
}
on_both!(the_database_refuses_to_change_the_log, refused);

async fn altered(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    fill(&store, 8).await;
    drop_trigger(&ctx, "audit_log_no_update").await;
    ctx.exec("UPDATE audit_log SET actor = 'user:someone-else' WHERE seq = 5")
        .await?;
    let report = store.verify_chain(&[]).await?;
    assert_eq!(report.faults, [ChainFault::Altered { seq: 5 }]);
    assert_eq!(
        report.faults[0].to_string(),
        "audit entry 5 was altered: its content does not match its hash"
    );
    Ok(())
}
on_both!(an_altered_entry_is_named, altered);

async fn unparseable(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    fill(&store, 4).await;
    drop_trigger(&ctx, "audit_log_no_update").await;
    ctx.exec("UPDATE audit_log SET action = 'erase-everything' WHERE seq = 2")
        .await?;
    let report = store.verify_chain(&[]).await?;
    assert_eq!(report.faults, [ChainFault::Altered { seq: 2 }]);
    assert_eq!(report.entries, 4);
    Ok(())
}
on_both!(an_entry_that_no_longer_parses_is_named, unparseable);

async fn rehashed(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    fill(&store, 8).await;
    let entries = store.audit_entries(0, 100).await?;
    let e = &entries[3]; // seq 4
    // A careful forger recomputes the entry's hash after changing it.
    let hash = entry_hash(
        e.seq,
        e.at.as_microsecond(),
        "user:forger",
        e.action.as_str(),
        e.ticket.as_ref().map(|t| t.as_str()),
        e.result.as_str(),
        &e.details,
        &e.prev_hash,
    );
    drop_trigger(&ctx, "audit_log_no_update").await;
    ctx.exec(&format!(
        "UPDATE audit_log SET actor = 'user:forger', hash = '{hash}' WHERE seq = 4"
    ))
    .await?;
    let report = store.verify_chain(&[]).await?;
    assert_eq!(report.faults, [ChainFault::LinkBroken { seq: 5 }]);
    assert!(
        report.faults[0]
            .to_string()
            .contains("does not follow entry 4")
    );
    // A peer anchor on entry 4 names it directly.
    let anchor = Anchor {
        seq: 4,
        hash: e.hash.clone(),
        source: AnchorSource::Peer("DE".to_owned()),
    };
    let report = store.verify_chain(&[anchor]).await?;
    assert!(report.faults.contains(&ChainFault::AnchorMismatch {
        seq: 4,
        by: AnchorSource::Peer("DE".to_owned()),
        found: hash.clone(),
        expected: e.hash.clone(),
    }));
    let sentence = report
        .faults
        .iter()
        .find(|f| matches!(f, ChainFault::AnchorMismatch { .. }))
        .unwrap()
        .to_string();
    assert_eq!(
        sentence,
        format!(
            "audit entry 4 differs from what the anchor DE vouches for: its hash is {hash}, the \
             anchor says {}",
            e.hash
        )
    );
    Ok(())
}
on_both!(a_rehashed_entry_breaks_the_next_link, rehashed);

async fn removed(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    fill(&store, 8).await;
    drop_trigger(&ctx, "audit_log_no_delete").await;
    ctx.exec("DELETE FROM audit_log WHERE seq IN (3, 4)")
        .await?;
    let report = store.verify_chain(&[]).await?;
    assert_eq!(report.faults, [ChainFault::Missing { first: 3, last: 4 }]);
    assert_eq!(
        report.faults[0].to_string(),
        "audit entries 3 to 4 are missing: they were removed"
    );
    Ok(())
}
on_both!(removed_entries_are_named, removed);

async fn reordered(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    fill(&store, 8).await;
    drop_trigger(&ctx, "audit_log_no_update").await;
    // Swap entries 3 and 4, each keeping its own content and hash.
    ctx.exec("UPDATE audit_log SET seq = 1000 WHERE seq = 3")
        .await?;
    ctx.exec("UPDATE audit_log SET seq = 3 WHERE seq = 4")
        .await?;
    ctx.exec("UPDATE audit_log SET seq = 4 WHERE seq = 1000")
        .await?;
    let report = store.verify_chain(&[]).await?;
    assert_eq!(
        report.faults,
        [
            ChainFault::Reordered { seq: 3, from: 4 },
            ChainFault::Reordered { seq: 4, from: 3 },
        ]
    );
    assert_eq!(
        report.faults[0].to_string(),
        "audit entry 3 was moved: it was written as entry 4"
    );
    Ok(())
}
on_both!(reordered_entries_are_named, reordered);

async fn truncated(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let head = fill(&store, 9).await;
    // The node signed a checkpoint at entry 6 (the signature is made by cp247-seal; any text
    // is stored here).
    let six = store.audit_entries(5, 1).await?.remove(0);
    let text = checkpoint_signing_text(six.seq, &six.hash);
    assert!(text.contains(&six.hash));
    let wrong = Checkpoint {
        seq: 6,
        head_hash: GENESIS_HASH.to_owned(),
        signature: "sig".to_owned(),
        signed_at: at(100),
    };
    let err = store.record_checkpoint(&wrong).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
    let cp = Checkpoint {
        seq: six.seq,
        head_hash: six.hash.clone(),
        signature: "-----BEGIN PGP SIGNATURE-----\n...".to_owned(),
        signed_at: at(100),
    };
    store.record_checkpoint(&cp).await?;
    assert!(
        store
            .record_checkpoint(&cp)
            .await
            .unwrap_err()
            .is_conflict()
    );
    let listed = store.checkpoints(cp247_store::Page::first(5)).await?;
    assert_eq!(listed.items, std::slice::from_ref(&cp));

    // The attacker removes the last four entries and rewinds the head to entry 5.
    drop_trigger(&ctx, "audit_log_no_delete").await;
    ctx.exec("DELETE FROM audit_log WHERE seq > 5").await?;
    let report = store.verify_chain(&[]).await?;
    assert_eq!(
        report.faults,
        [
            ChainFault::Truncated {
                last: 5,
                anchor: 6,
                by: AnchorSource::Checkpoint
            },
            ChainFault::Truncated {
                last: 5,
                anchor: 9,
                by: AnchorSource::Head
            },
        ]
    );
    drop_trigger(&ctx, "audit_head_moves_forward").await;
    let five = store.audit_entries(4, 1).await?.remove(0);
    ctx.exec(&format!(
        "UPDATE audit_head SET seq = 5, hash = '{}' WHERE id = 1",
        five.hash
    ))
    .await?;
    // The checkpoint still catches it, and so does a peer holding the old head.
    let peer = Anchor {
        seq: head.seq,
        hash: head.hash.clone(),
        source: AnchorSource::Peer("DE".to_owned()),
    };
    let report = store.verify_chain(&[peer]).await?;
    assert_eq!(
        report.faults,
        [
            ChainFault::Truncated {
                last: 5,
                anchor: 6,
                by: AnchorSource::Checkpoint
            },
            ChainFault::Truncated {
                last: 5,
                anchor: 9,
                by: AnchorSource::Peer("DE".to_owned())
            },
        ]
    );
    assert!(
        report.faults[0]
            .to_string()
            .contains("the log was truncated")
    );
    Ok(())
}
on_both!(
    a_truncated_log_is_caught_by_checkpoints_and_peer_anchors,
    truncated
);

async fn limits(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut big = audit(AuditAction::Export, None, at(0));
    big.details = serde_json::json!({ "x": "y".repeat(20_000) });
    let err = store.append_audit(&big).await.unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { .. }), "{err:?}");
    assert_eq!(store.audit_head().await?.seq, 0);
    Ok(())
}
on_both!(audit_details_are_bounded, limits);

async fn anywhere(ctx: Ctx) -> anyhow::Result<()> {
    use proptest::strategy::{Strategy, ValueTree};
    let store = ctx.store().await;
    fill(&store, 30).await;
    drop_trigger(&ctx, "audit_log_no_update").await;
    drop_trigger(&ctx, "audit_log_no_delete").await;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (1u64..=30, 0u8..3);
    for _ in 0..24 {
        let (seq, how) = strategy.new_tree(&mut runner).unwrap().current();
        let original = store.audit_entries(seq - 1, 1).await?.remove(0);
        let (tamper, expected) = match how {
            0 => (
                format!("UPDATE audit_log SET result = 'denied' WHERE seq = {seq}"),
                ChainFault::Altered { seq },
            ),
            1 => (
                format!("UPDATE audit_log SET at_us = at_us + 1 WHERE seq = {seq}"),
                ChainFault::Altered { seq },
            ),
            _ => (
                format!("DELETE FROM audit_log WHERE seq = {seq}"),
                if seq == 30 {
                    ChainFault::Truncated {
                        last: 29,
                        anchor: 30,
                        by: AnchorSource::Head,
                    }
                } else {
                    ChainFault::Missing {
                        first: seq,
                        last: seq,
                    }
                },
            ),
        };
        ctx.exec(&tamper).await?;
        let report = store.verify_chain(&[]).await?;
        assert_eq!(report.faults, [expected], "{tamper}");
        // Put the entry back as it was: the chain is whole again.
        ctx.exec(&format!("DELETE FROM audit_log WHERE seq = {seq}"))
            .await?;
        drop_trigger_if_exists(&ctx, "audit_log_links_to_head").await;
        let ticket = original
            .ticket
            .as_ref()
            .map_or("NULL".to_owned(), |t| format!("'{t}'"));
        ctx.exec(&format!(
            "INSERT INTO audit_log (seq, at_us, actor, action, ticket_id, result, details, \
             prev_hash, hash) VALUES ({}, {}, '{}', '{}', {ticket}, '{}', '{}', '{}', '{}')",
            original.seq,
            original.at.as_microsecond(),
            original.actor,
            original.action.as_str(),
            original.result.as_str(),
            original.details,
            original.prev_hash,
            original.hash
        ))
        .await?;
        assert!(store.verify_chain(&[]).await?.is_intact());
    }
    Ok(())
}
on_both!(tampering_with_any_entry_is_named, anywhere);

async fn drop_trigger_if_exists(ctx: &Ctx, name: &str) {
    let sql = match ctx.backend {
        Backend::Sqlite => format!("DROP TRIGGER IF EXISTS {name}"),
        Backend::Postgres => {
            let table = ["audit_head", "audit_checkpoints"]
                .into_iter()
                .find(|t| name.starts_with(t))
                .unwrap_or("audit_log");
            format!("DROP TRIGGER IF EXISTS {name} ON {table}")
        }
    };
    ctx.exec(&sql).await.unwrap();
}

/// Rewrites the whole chain from entry 1 with the published hash formula, as an attacker with
/// database access and the triggers dropped would, and moves the head row to the new last hash.
async fn rehash_everything(ctx: &Ctx, store: &Store) -> anyhow::Result<()> {
    let entries = store.audit_entries(0, 1000).await?;
    let mut prev = GENESIS_HASH.to_owned();
    for e in &entries {
        let hash = entry_hash(
            e.seq,
            e.at.as_microsecond(),
            e.actor.as_str(),
            e.action.as_str(),
            e.ticket.as_ref().map(|t| t.as_str()),
            e.result.as_str(),
            &e.details,
            &prev,
        );
        ctx.exec(&format!(
            "UPDATE audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}",
            e.seq
        ))
        .await?;
        prev = hash;
    }
    ctx.exec(&format!(
        "UPDATE audit_head SET hash = '{prev}' WHERE id = 1"
    ))
    .await?;
    Ok(())
}

async fn checkpoint_entries(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    fill(&store, 3).await;
    // Entry 4 is a checkpoint entry with its signed checkpoint, as the node makes them.
    let four = store
        .append_audit(&audit(AuditAction::Checkpoint, None, at(3)))
        .await?;
    store
        .record_checkpoint(&Checkpoint {
            seq: four.seq,
            head_hash: four.hash.clone(),
            signature: "-----BEGIN PGP SIGNATURE-----\n...".to_owned(),
            signed_at: at(3),
        })
        .await?;
    fill(&store, 2).await;
    assert!(store.verify_chain(&[]).await?.is_intact());

    // The attack of issue #10: triggers dropped, entry 2's actor changed, the chain rehashed,
    // the checkpoint rows deleted. The checkpoint entry remains and names the removal.
    for t in [
        "audit_log_no_update",
        "audit_head_moves_forward",
        "audit_checkpoints_no_delete",
    ] {
        drop_trigger_if_exists(&ctx, t).await;
    }
    ctx.exec("UPDATE audit_log SET actor = 'user:someone-else' WHERE seq = 2")
        .await?;
    rehash_everything(&ctx, &store).await?;
    ctx.exec("DELETE FROM audit_checkpoints").await?;
    let report = store.verify_chain(&[]).await?;
    assert_eq!(report.faults, [ChainFault::CheckpointMissing { seq: 4 }]);
    assert_eq!(
        report.faults[0].to_string(),
        "audit entry 4 is a checkpoint entry, but no signed checkpoint is stored for it: the \
         signed checkpoint was removed, and the entries before it may have been rewritten"
    );

    // A checkpoint row over an entry that is not a checkpoint entry is named too (its hash is
    // the entry's, so only the kind of entry gives it away).
    let five = store.audit_entries(4, 1).await?.remove(0);
    assert_eq!(five.action, AuditAction::View);
    ctx.exec(&format!(
        "INSERT INTO audit_checkpoints (seq, head_hash, signature, signed_at_us) VALUES \
         (5, '{}', 'sig', 0)",
        five.hash
    ))
    .await?;
    let report = store.verify_chain(&[]).await?;
    assert_eq!(
        report.faults,
        [
            ChainFault::CheckpointMissing { seq: 4 },
            ChainFault::CheckpointExtra { seq: 5 }
        ]
    );
    Ok(())
}
on_both!(
    every_checkpoint_entry_has_its_signed_checkpoint,
    checkpoint_entries
);
