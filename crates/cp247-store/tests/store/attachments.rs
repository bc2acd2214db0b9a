//! Attachments: stored with their message in both directions, listed without their bytes,
//! read back byte for byte by the ticket's own Party only, bounded, and all or nothing with the
//! message.

use cp247_domain::Urgency;
use cp247_store::{NewAttachment, OurRole, Page, StoreError, StoreOptions, TicketChange, Viewer};

use crate::common::{Ctx, Ids, at, audit, de, fr, incoming, new_ticket, on_both, outgoing, t0};

fn file(name: &str, media_type: &str, content: &[u8]) -> NewAttachment {
    NewAttachment {
        file_name: name.to_owned(),
        media_type: media_type.to_owned(),
        content: content.to_vec(),
    }
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

async fn stored_listed_and_read_back(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(40);

    // Out: a request with two files.
    let t = ids.ticket(fr());
    let out_id = ids.message();
    let big: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let mut m = outgoing(out_id, &t, de(), Urgency::Urgent);
    m.attachments = vec![
        file("capture.png", "image/png", &big),
        file("journal.txt", "text/plain", b""),
    ];
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(t.clone(), OurRole::Requester, de()))
        .await?;
    tx.insert_outgoing(&m).await?;
    tx.append_audit(&audit(cp247_store::AuditAction::Send, Some(&t), t0()))
        .await?;
    tx.commit().await?;

    // In: a reply on the same ticket with one file.
    let in_id = ids.message();
    let mut reply = incoming(in_id, &t, de());
    reply.attachments = vec![file("données.csv", "text/csv", b"ip,time\n")];
    store
        .accept_incoming(
            &reply,
            &TicketChange::Unchanged,
            &audit(cp247_store::AuditAction::Receive, None, at(5)),
        )
        .await?;

    let listed = store
        .messages_for(Viewer::Local(fr()), &t, Page::first(10))
        .await?
        .items;
    assert_eq!(listed.len(), 2);
    let out = listed.iter().find(|x| x.id == out_id).unwrap();
    assert_eq!(out.attachments.len(), 2);
    assert_eq!(out.attachments[0].index, 0);
    assert_eq!(out.attachments[0].file_name, "capture.png");
    assert_eq!(out.attachments[0].media_type, "image/png");
    assert_eq!(out.attachments[0].size, 300_000);
    assert_eq!(out.attachments[0].sha256, sha(&big));
    assert_eq!(out.attachments[1].size, 0);
    let inc = listed.iter().find(|x| x.id == in_id).unwrap();
    assert_eq!(inc.attachments.len(), 1);
    assert_eq!(inc.attachments[0].file_name, "données.csv");
    assert!(!format!("{inc:?}").contains("données"), "Debug hides names");
    let one = store.message(fr(), &out_id).await?;
    assert_eq!(one.attachments, out.attachments);

    let got = store
        .attachment_for(Viewer::Local(fr()), &t, &out_id, 0)
        .await?;
    assert_eq!(got.content, big);
    assert_eq!(got.info, out.attachments[0]);
    assert_eq!(got.message_id, out_id);
    assert_eq!(got.direction, cp247_store::Direction::Out);
    let got = store
        .attachment_for(Viewer::Local(fr()), &t, &in_id, 0)
        .await?;
    assert_eq!(got.content, b"ip,time\n");
    assert_eq!(got.direction, cp247_store::Direction::In);

    // Another Party's view, another ticket, another message, an index past the end: the same
    // answer.
    for (viewer, ticket, message, index) in [
        (Viewer::Local(de()), &t, out_id, 0),
        (Viewer::Local(fr()), &ids.ticket(fr()), out_id, 0),
        (Viewer::Local(fr()), &t, ids.message(), 0),
        (Viewer::Local(fr()), &t, out_id, 2),
    ] {
        let e = store
            .attachment_for(viewer, ticket, &message, index)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    }
    Ok(())
}
on_both!(
    attachments_are_stored_listed_and_read_back,
    stored_listed_and_read_back
);

async fn bounded_and_atomic(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx
        .store_with(StoreOptions {
            max_attachments: 2,
            max_attachment_bytes: 100,
            max_attachments_total_bytes: 150,
            ..StoreOptions::default()
        })
        .await;
    let mut ids = Ids::new(41);
    let t = ids.ticket(fr());
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(t.clone(), OurRole::Requester, de()))
        .await?;
    tx.commit().await?;
    let cases: Vec<(Vec<NewAttachment>, &str)> = vec![
        (
            vec![
                file("a", "text/plain", b"1"),
                file("b", "text/plain", b"2"),
                file("c", "text/plain", b"3"),
            ],
            "at most 2",
        ),
        (vec![file("a", "text/plain", &[0; 101])], "limit of 100"),
        (
            vec![
                file("a", "text/plain", &[0; 100]),
                file("b", "text/plain", &[0; 51]),
            ],
            "limit of 150",
        ),
        (vec![file("", "text/plain", b"x")], "empty"),
        (vec![file("a\nb", "text/plain", b"x")], "control character"),
    ];
    for (files, expected) in cases {
        let mut m = outgoing(ids.message(), &t, de(), Urgency::Routine);
        m.attachments = files;
        let mut tx = store.begin().await?;
        let e = tx.insert_outgoing(&m).await.unwrap_err();
        assert!(e.to_string().contains(expected), "{e}");
        tx.rollback().await?;
    }
    // A rolled-back unit of work leaves neither the message nor its files.
    let id = ids.message();
    let mut m = outgoing(id, &t, de(), Urgency::Routine);
    m.attachments = vec![file("a", "text/plain", b"kept?")];
    let mut tx = store.begin().await?;
    tx.insert_outgoing(&m).await?;
    tx.rollback().await?;
    let e = store
        .attachment_for(Viewer::Local(fr()), &t, &id, 0)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    assert!(
        store
            .messages_for(Viewer::Local(fr()), &t, Page::first(10))
            .await?
            .items
            .is_empty()
    );
    Ok(())
}
on_both!(
    attachments_are_bounded_and_stored_with_their_message,
    bounded_and_atomic
);
