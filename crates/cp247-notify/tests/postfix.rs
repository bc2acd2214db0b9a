#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Against the real Postfix on loopback (scripts/postfix-local.sh): plain and PGP/MIME alerts,
//! the e-mail channel to a contact point without a node, header injection, an unreachable
//! relay. What arrives in the Maildir is parsed with mail-parser and decrypted with GnuPG.

mod common;

use std::time::Duration;

use common::*;
use cp247_domain::{Address, MessageId, PartyCode, TicketId, Urgency};
use cp247_notify::mail::ENCRYPTED_SUBJECT;
use cp247_notify::{
    Alert, DutyOfficer, Enclosure, MailAddress, Notifier, NotifySettings, Secret, SmtpSecurity,
    SmtpSettings, Subject,
};
use cp247_seal::Cert;
use mail_parser::{MessageParser, MimeHeaders as _};

const MAILBOX: &str = "cp247mail@cp247.test";

fn smtp(host: &str, port: u16) -> SmtpSettings {
    SmtpSettings {
        host: host.into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        timeout: Duration::from_secs(20),
        from: MailAddress::parse("cp247 FR node <cp247-fr@cp247.test>").unwrap(),
    }
}

fn alert(message_id: MessageId, ticket: &str) -> Alert {
    Alert::NewRequest {
        message_id,
        ticket: TicketId::parse(ticket).unwrap(),
        kind: "art29".into(),
        urgency: Urgency::Emergency,
        from: Address::primary(PartyCode::parse("MD").unwrap()),
        received_at: system_now(),
        ack_due: Some(system_now() + jiff::SignedDuration::from_mins(30)),
        phones: vec!["+373 22 000 111".into()],
    }
}

fn fresh_ids() -> (MessageId, String) {
    let mut rng = rand::rng();
    let id = MessageId::generate(system_now(), &mut rng);
    let ticket = TicketId::generate(PartyCode::parse("MD").unwrap(), system_now(), &mut rng);
    (id, ticket.to_string())
}

#[tokio::test]
async fn a_plain_alert_arrives_with_its_headers_and_no_case_content() {
    let Some((host, port, maildir)) = postfix() else {
        return;
    };
    let key = node_key("fr");
    let notifier = Notifier::new(
        NotifySettings {
            smtp: Some(smtp(&host, port)),
            webhook: None,
            duty_officers: vec![DutyOfficer {
                address: MailAddress::parse(&format!("Duty officer <{MAILBOX}>")).unwrap(),
                cert: None,
            }],
        },
        key,
        clock(),
    )
    .unwrap();
    let (id, ticket) = fresh_ids();
    let before = maildir_snapshot(&maildir);
    let report = notifier.send_alert(&alert(id, &ticket)).await;
    assert!(report.all_sent(), "{report:?}");
    let sent_id = report.emails[0].1.as_ref().unwrap().clone();
    let raw = wait_for_mail(&maildir, &before, &sent_id);
    let mail = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        mail.subject().unwrap(),
        format!("[cp247] EMERGENCY art29 request from MD: {ticket}")
    );
    assert_eq!(
        mail.from().unwrap().first().unwrap().address().unwrap(),
        "cp247-fr@cp247.test"
    );
    assert_eq!(
        mail.to().unwrap().first().unwrap().address().unwrap(),
        MAILBOX
    );
    assert_eq!(format!("<{}>", mail.message_id().unwrap()), sent_id);
    assert!(mail.date().is_some());
    let ct = mail.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("text", Some("plain")));
    let body = mail.body_text(0).unwrap();
    assert!(body.contains(&format!("Ticket:      {ticket}")), "{body}");
    assert!(body.contains("From:        MD/primary"), "{body}");
    assert!(body.contains("+373 22 000 111"), "{body}");
    assert!(body.contains("carries none"), "{body}");
}

#[tokio::test]
async fn an_alert_to_an_officer_with_a_certificate_is_pgp_mime_that_gnupg_decrypts_and_verifies() {
    let Some((host, port, maildir)) = postfix() else {
        return;
    };
    if !require_gpg() {
        return;
    }
    let gpg = Gpg::new();
    let (_, officer_cert) = gpg.officer("Duty officer <cp247mail@cp247.test>");
    let key = node_key("fr");
    gpg.import(&key.cert().armored());
    let notifier = Notifier::new(
        NotifySettings {
            smtp: Some(smtp(&host, port)),
            webhook: None,
            duty_officers: vec![DutyOfficer {
                address: MailAddress::parse(MAILBOX).unwrap(),
                cert: Some(Cert::from_armored(&officer_cert).unwrap()),
            }],
        },
        key.clone(),
        clock(),
    )
    .unwrap();
    let (id, ticket) = fresh_ids();
    let before = maildir_snapshot(&maildir);
    let report = notifier.send_alert(&alert(id, &ticket)).await;
    assert!(report.all_sent(), "{report:?}");
    let sent_id = report.emails[0].1.as_ref().unwrap().clone();
    let raw = wait_for_mail(&maildir, &before, &sent_id);
    // Nothing of the alert travels in clear: not even the ticket.
    let clear = String::from_utf8_lossy(&raw);
    assert!(!clear.contains(&ticket), "{clear}");
    assert!(!clear.contains("+373"), "{clear}");

    let mail = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(mail.subject().unwrap(), ENCRYPTED_SUBJECT);
    let ct = mail.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("encrypted")));
    assert_eq!(ct.attribute("protocol"), Some("application/pgp-encrypted"));
    // The root and its two parts, in RFC 3156 order.
    assert_eq!(mail.parts.len(), 3, "{clear}");
    let control = mail.part(1).unwrap();
    let cct = control.content_type().unwrap();
    assert_eq!(
        (cct.ctype(), cct.subtype()),
        ("application", Some("pgp-encrypted"))
    );
    assert!(String::from_utf8_lossy(control.contents()).contains("Version: 1"));
    let data = mail.part(2).unwrap();
    let dct = data.content_type().unwrap();
    assert_eq!(
        (dct.ctype(), dct.subtype()),
        ("application", Some("octet-stream"))
    );
    let armored = data.contents();
    assert!(armored.starts_with(b"-----BEGIN PGP MESSAGE-----"));

    let (entity, status) = gpg.decrypt(armored);
    assert_good_signature(&status, &key.fingerprint().to_string());
    // The decrypted entity is MIME with the protected subject and the alert text.
    let inner = MessageParser::default().parse(&entity).unwrap();
    assert_eq!(
        inner.subject().unwrap(),
        format!("[cp247] EMERGENCY art29 request from MD: {ticket}")
    );
    let ict = inner.content_type().unwrap();
    assert_eq!(ict.attribute("protected-headers"), Some("v1"));
    let text = inner.body_text(0).unwrap();
    assert!(text.contains(&format!("Ticket:      {ticket}")), "{text}");
    assert!(text.contains("+373 22 000 111"), "{text}");
}

#[tokio::test]
async fn a_request_mailed_to_a_contact_point_without_a_node_carries_its_document_encrypted() {
    let Some((host, port, maildir)) = postfix() else {
        return;
    };
    if !require_gpg() {
        return;
    }
    let gpg = Gpg::new();
    let (_, cp_cert) = gpg.officer("MD alternate <cp247mail@cp247.test>");
    let key = node_key("fr");
    gpg.import(&key.cert().armored());
    let notifier = Notifier::new(
        NotifySettings {
            smtp: Some(smtp(&host, port)),
            ..NotifySettings::default()
        },
        key.clone(),
        clock(),
    )
    .unwrap();
    let (_, ticket) = fresh_ids();
    let document = format!("{{\"ticket\":\"{ticket}\",\"preserve\":[\"é\"]}}").into_bytes();
    let before = maildir_snapshot(&maildir);
    let sent_id = notifier
        .send_encrypted(
            &MailAddress::parse(MAILBOX).unwrap(),
            &Cert::from_armored(&cp_cert).unwrap(),
            &Subject::new(format!("Art. 29 request {ticket} (escalated)")).unwrap(),
            &ticket,
            "A preservation request is enclosed.\n",
            &[Enclosure {
                file_name: "request.json".into(),
                content_type: "application/json".into(),
                bytes: document.clone(),
            }],
        )
        .await
        .unwrap();
    let raw = wait_for_mail(&maildir, &before, &sent_id);
    assert!(!String::from_utf8_lossy(&raw).contains("preserve"));
    let mail = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        mail.content_type().unwrap().attribute("protocol"),
        Some("application/pgp-encrypted")
    );
    let (entity, status) = gpg.decrypt(mail.part(2).unwrap().contents());
    assert_good_signature(&status, &key.fingerprint().to_string());
    let inner = MessageParser::default().parse(&entity).unwrap();
    assert_eq!(
        inner.subject().unwrap(),
        format!("Art. 29 request {ticket} (escalated)")
    );
    let file = inner.attachment(0).unwrap();
    assert_eq!(file.attachment_name(), Some("request.json"));
    assert_eq!(file.contents(), document.as_slice());
    assert!(inner.body_text(0).unwrap().contains("preservation request"));
}

#[tokio::test]
async fn an_escalated_request_goes_to_an_e_mail_only_contact_point_signed_and_encrypted() {
    let Some((host, port, maildir)) = postfix() else {
        return;
    };
    if !require_gpg() {
        return;
    }
    let gpg = Gpg::new();
    let (_, cp_cert) = gpg.officer("MD alternate <cp247mail@cp247.test>");
    let key = node_key("fr");
    gpg.import(&key.cert().armored());
    let notifier = Notifier::new(
        NotifySettings {
            smtp: Some(smtp(&host, port)),
            ..NotifySettings::default()
        },
        key.clone(),
        clock(),
    )
    .unwrap();
    let (message_id, _) = fresh_ids();
    let mut rng = rand::rng();
    let ticket = TicketId::generate(PartyCode::parse("FR").unwrap(), system_now(), &mut rng);
    let payload =
        format!("{{\"format\":\"cp247-envelope/1\",\"ticket\":\"{ticket}\"}}").into_bytes();
    let request = cp247_notify::RequestMail {
        ticket: ticket.clone(),
        message_id,
        kind: "art29".into(),
        urgency: Urgency::Urgent,
        from: Address::primary(PartyCode::parse("FR").unwrap()),
        to: Address::alternate(PartyCode::parse("MD").unwrap()),
        unanswered: Some(Address::primary(PartyCode::parse("MD").unwrap())),
        phones: vec!["+33 1 40 00 00 00".into()],
        payload_json: payload.clone(),
    };
    let target = cp247_notify::EmailTarget {
        address: MailAddress::parse(MAILBOX).unwrap(),
        cert: Cert::from_armored(&cp_cert).unwrap(),
    };
    let before = maildir_snapshot(&maildir);
    let sent_id = notifier
        .send_request_by_email(&target, &request)
        .await
        .unwrap();
    let raw = wait_for_mail(&maildir, &before, &sent_id);
    assert!(!String::from_utf8_lossy(&raw).contains(&ticket.to_string()));
    let mail = MessageParser::default().parse(&raw).unwrap();
    let (entity, status) = gpg.decrypt(mail.part(2).unwrap().contents());
    assert_good_signature(&status, &key.fingerprint().to_string());
    let inner = MessageParser::default().parse(&entity).unwrap();
    assert_eq!(
        inner.subject().unwrap(),
        format!("[cp247] URGENT art29 request from FR/primary: {ticket} (escalated)")
    );
    let text = inner.body_text(0).unwrap();
    assert!(text.contains("sent to MD/primary first"), "{text}");
    assert!(text.contains("+33 1 40 00 00 00"), "{text}");
    let file = inner.attachment(0).unwrap();
    assert_eq!(
        file.attachment_name(),
        Some(format!("request-{ticket}.json").as_str())
    );
    assert_eq!(file.contents(), payload.as_slice());
}

#[tokio::test]
async fn header_injection_never_reaches_the_wire() {
    let Some((host, port, maildir)) = postfix() else {
        return;
    };
    // Addresses and subjects with a line break are refused at the boundary.
    assert!(MailAddress::parse("cp247mail@cp247.test\r\nBcc: victim@cp247.test").is_err());
    assert!(Subject::new("Alert\r\nBcc: victim@cp247.test").is_err());
    // A hostile word inside an alert is replaced, never written into the subject.
    let notifier = Notifier::new(
        NotifySettings {
            smtp: Some(smtp(&host, port)),
            webhook: None,
            duty_officers: vec![DutyOfficer {
                address: MailAddress::parse(MAILBOX).unwrap(),
                cert: None,
            }],
        },
        node_key("fr"),
        clock(),
    )
    .unwrap();
    let (id, ticket) = fresh_ids();
    let mut a = alert(id, &ticket);
    if let Alert::NewRequest { kind, phones, .. } = &mut a {
        *kind = "art29\r\nBcc: victim@cp247.test\r\nX-Injected: yes".into();
        phones.push("+1\r\nX-Injected: yes".into());
    }
    let before = maildir_snapshot(&maildir);
    let report = notifier.send_alert(&a).await;
    let sent_id = report.emails[0].1.as_ref().unwrap().clone();
    let raw = wait_for_mail(&maildir, &before, &sent_id);
    let mail = MessageParser::default().parse(&raw).unwrap();
    assert!(mail.header_raw("Bcc").is_none());
    assert!(mail.header_raw("X-Injected").is_none());
    assert_eq!(mail.to().unwrap().iter().count(), 1);
    assert!(!String::from_utf8_lossy(&raw).contains("X-Injected"));
}

#[tokio::test]
async fn an_unreachable_relay_is_reported_without_the_password() {
    // A closed loopback port: no Postfix needed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut settings = smtp("127.0.0.1", port);
    settings.username = Some("cp247".into());
    settings.password = Some(Secret::new("never-in-a-log-0123".into()));
    settings.timeout = Duration::from_secs(2);
    let notifier = Notifier::new(
        NotifySettings {
            smtp: Some(settings),
            webhook: None,
            duty_officers: vec![DutyOfficer {
                address: MailAddress::parse(MAILBOX).unwrap(),
                cert: None,
            }],
        },
        node_key("fr"),
        clock(),
    )
    .unwrap();
    let (id, ticket) = fresh_ids();
    let report = notifier.send_alert(&alert(id, &ticket)).await;
    assert!(!report.all_sent());
    let err = report.emails[0].1.as_ref().unwrap_err().to_string();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("never-in-a-log"), "{err}");
    assert!(!format!("{notifier:?}").contains("never-in-a-log"));
}
