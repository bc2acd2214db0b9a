//! `cp247 directory …`: the directory authority's commands and the node's directory update.
//!
//! The authority works in a directory `D` holding `authority-key.asc` (its secret key,
//! passphrase-protected, mode 0600), `authority-cert.asc`, `draft.json` (the unsigned working
//! copy) and `published/` (every signed directory, by serial).
//!
//! | command | exit 0 | exit 1 |
//! |---|---|---|
//! | `authority-init --dir D --name NAME` | key made; fingerprint and certificate printed | D exists, no passphrase |
//! | `add-party`, `set-contact-point`, `suspend`, `revoke`, `reinstate` | draft changed | the reason |
//! | `sign --dir D --valid-for 30d -o FILE` | FILE and FILE.asc written | the draft's problems, one per line |
//! | `show FILE` | printed | not a directory |
//! | `verify FILE --authority-cert CERT [--previous FILE]` | accepted, health printed | refused: `refused CODE: reason` |
//! | `update --dir NODE [SOURCE]` | accepted or unchanged | refused: `refused CODE: reason` |

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cp247_directory::contact::{
    AuthorityKind, Capability, EmailAddress, Endpoint, LanguageTag, ParentAuthority, Phone,
    TlsSha256,
};
use cp247_directory::draft::{ContactPointUpdate, Draft};
use cp247_directory::hours::OfficeHours;
use cp247_directory::status::{Standing, Status};
use cp247_directory::text::{Reason, Text};
use cp247_directory::{
    Acceptance, AcceptancePolicy, AuthorityRef, Channel, ContactPoint, Directory, DirectoryHealth,
    DirectoryState, ListedCert, PinnedAuthority,
};
use cp247_domain::{ContactPointRole, Instant, PartyCode, ZoneName};
use cp247_seal::{Cert, Fingerprint, NodeKey, sign_detached};
use cp247_server::config::DirectorySource;
use jiff::{SignedDuration, Timestamp};

use crate::node::{
    Node, TimeArgs, asc_path, create_dir_with, parse_role, read_passphrase, read_signed_directory,
    read_text, write_replace,
};

const AUTHORITY_KEY: &str = "authority-key.asc";
const AUTHORITY_CERT: &str = "authority-cert.asc";
const DRAFT: &str = "draft.json";
const MAX_DRAFT: u64 = 8 * 1024 * 1024;
/// The longest validity `sign` gives a directory: a long-lived directory delays revocations.
const MAX_VALIDITY_DAYS: i64 = 366;

/// `cp247 directory …`
#[derive(Debug, Args)]
pub struct DirectoryArgs {
    #[command(subcommand)]
    command: DirectoryCommand,
}

#[derive(Debug, Subcommand)]
enum DirectoryCommand {
    /// Create the directory authority's key and an empty draft in a new directory.
    AuthorityInit {
        /// The authority's working directory (must not exist).
        #[arg(long)]
        dir: PathBuf,
        /// The authority's name.
        #[arg(long)]
        name: String,
        /// A file holding the passphrase (else CP247_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Add a Party to the draft.
    AddParty {
        /// The authority's directory.
        #[arg(long)]
        dir: PathBuf,
        /// The Party (ISO 3166-1 alpha-2).
        #[arg(long)]
        party: PartyCode,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Create or change a contact point of a Party in the draft (only the parts given change).
    SetContactPoint(Box<SetContactPoint>),
    /// Suspend a Party, or one of its contact points with --role.
    Suspend(StatusArgs),
    /// Revoke a Party, or one of its contact points with --role (final).
    Revoke(StatusArgs),
    /// Lift a suspension.
    Reinstate {
        /// The authority's directory.
        #[arg(long)]
        dir: PathBuf,
        /// The Party.
        #[arg(long)]
        party: PartyCode,
        /// A contact point instead of the whole Party.
        #[arg(long, value_parser = parse_role)]
        role: Option<ContactPointRole>,
    },
    /// Sign the draft as the next directory: FILE and FILE.asc.
    Sign {
        /// The authority's directory.
        #[arg(long)]
        dir: PathBuf,
        /// How long the directory is valid: e.g. 30d, 12h (at most 366d).
        #[arg(long, value_parser = parse_validity)]
        valid_for: SignedDuration,
        /// Where to write the directory (the signature goes to FILE.asc).
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// A file holding the passphrase (else CP247_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Print a directory file for people (does not verify it: use verify).
    Show {
        /// The directory file.
        file: PathBuf,
    },
    /// Verify a signed directory against the authority certificate (and a previous one).
    Verify {
        /// The directory file (its signature is FILE.asc unless --signature).
        file: PathBuf,
        /// The detached signature.
        #[arg(long, value_name = "FILE")]
        signature: Option<PathBuf>,
        /// The directory authority's certificate.
        #[arg(long, value_name = "CERT")]
        authority_cert: PathBuf,
        /// The directory accepted before (rollback check).
        #[arg(long, value_name = "FILE")]
        previous: Option<PathBuf>,
        /// The grace period after expiry, in days.
        #[arg(long, default_value_t = 7)]
        grace_days: u32,
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Offer a fresh directory to a node; it replaces the node's directory if accepted.
    Update {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// The directory file (default: the configured directory_source).
        source: Option<PathBuf>,
        #[command(flatten)]
        time: TimeArgs,
    },
}

#[derive(Debug, Args)]
struct SetContactPoint {
    /// The authority's directory.
    #[arg(long)]
    dir: PathBuf,
    /// The Party.
    #[arg(long)]
    party: PartyCode,
    /// Which contact point.
    #[arg(long, default_value = "primary", value_parser = parse_role)]
    role: ContactPointRole,
    /// Channel: the node's HTTPS endpoint (with --tls-sha256).
    #[arg(
        long,
        value_name = "URL",
        requires = "tls_sha256",
        conflicts_with = "email"
    )]
    endpoint: Option<Endpoint>,
    /// Channel: SHA-256 fingerprint of the node's TLS certificate.
    #[arg(long, value_name = "HEX", requires = "endpoint")]
    tls_sha256: Option<TlsSha256>,
    /// Channel: the protocol level the node reads, as its identity document says
    /// (`cp247-federation/N`; ADR 0028). List it only once every node of the network runs a
    /// release that knows levels: older nodes refuse a directory that lists one.
    #[arg(long, value_name = "LEVEL", value_parser = parse_reads, conflicts_with = "email")]
    reads: Option<cp247_domain::AdvertisedLevel>,
    /// Channel: OpenPGP e-mail to this address (a contact point without a node).
    #[arg(long, value_name = "ADDRESS")]
    email: Option<EmailAddress>,
    /// The channel's OpenPGP certificate (replaces the listed keys).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// Add a certificate (key rotation; peers encrypt to the last listed key).
    #[arg(long, value_name = "FILE")]
    add_cert: Option<PathBuf>,
    /// Retire the key with this fingerprint (from --retire-at, default now).
    #[arg(long, value_name = "FINGERPRINT")]
    retire_key: Option<Fingerprint>,
    /// When the key retires.
    #[arg(long, value_name = "INSTANT", requires = "retire_key")]
    retire_at: Option<Instant>,
    /// The unit's name.
    #[arg(long)]
    unit: Option<String>,
    /// The kind of body the unit belongs to: police, prosecution, judiciary, ministry, other.
    #[arg(long, requires = "authority_name")]
    authority_kind: Option<AuthorityKind>,
    /// The name of the body the unit belongs to.
    #[arg(long, requires = "authority_kind")]
    authority_name: Option<String>,
    /// Whether the contact point is itself an MLA authority (Art. 35(2)(b)).
    #[arg(long)]
    mla_authority: Option<bool>,
    /// A capability (repeat): orders_preservation, discloses_traffic_data, sap_art9_emergency,
    /// sap_art10_emergency_mla. Replaces the list.
    #[arg(long = "capability")]
    capabilities: Vec<Capability>,
    /// A 24/7 duty phone, E.164 (repeat). Replaces the list.
    #[arg(long = "phone")]
    phones: Vec<Phone>,
    /// Another e-mail address of the unit (repeat). Replaces the list.
    #[arg(long = "contact-email")]
    contact_emails: Vec<EmailAddress>,
    /// A language, BCP 47 (repeat, preferred first). Replaces the list.
    #[arg(long = "language")]
    languages: Vec<LanguageTag>,
    /// The IANA time zone, e.g. Europe/Paris.
    #[arg(long)]
    tz: Option<ZoneName>,
    /// Office hours, e.g. "Mon-Fri 08:00-12:00,13:00-17:00; Sat 09:00-12:00".
    #[arg(long)]
    office_hours: Option<OfficeHours>,
    /// A date on which the office is closed, YYYY-MM-DD (repeat). Replaces the list.
    #[arg(long = "closed-day")]
    closed_days: Vec<jiff::civil::Date>,
    #[command(flatten)]
    time: TimeArgs,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// The authority's directory.
    #[arg(long)]
    dir: PathBuf,
    /// The Party.
    #[arg(long)]
    party: PartyCode,
    /// A contact point instead of the whole Party.
    #[arg(long, value_parser = parse_role)]
    role: Option<ContactPointRole>,
    /// Why, in a sentence.
    #[arg(long)]
    reason: String,
    /// From when (default now).
    #[arg(long, value_name = "INSTANT")]
    since: Option<Instant>,
    #[command(flatten)]
    time: TimeArgs,
}

fn parse_validity(text: &str) -> Result<SignedDuration, String> {
    let err =
        || format!("'{text}' is not a validity: write a number of days or hours, e.g. 30d or 12h");
    let (num, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = num.parse().map_err(|_| err())?;
    let hours = match unit {
        "d" => n.checked_mul(24).ok_or_else(err)?,
        "h" => n,
        _ => return Err(err()),
    };
    if hours <= 0 || hours > MAX_VALIDITY_DAYS * 24 {
        return Err(format!(
            "'{text}' is out of range: a directory is valid for 1 hour to {MAX_VALIDITY_DAYS} days"
        ));
    }
    Ok(SignedDuration::from_hours(hours))
}

/// `cp247 directory …`
pub fn run(args: DirectoryArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DirectoryCommand::AuthorityInit {
            dir,
            name,
            passphrase_file,
            time,
        } => authority_init(&dir, &name, passphrase_file.as_deref(), time.now()),
        DirectoryCommand::AddParty { dir, party, name } => {
            let mut draft = load_draft(&dir)?;
            draft.add_party(party, Text::parse(&name).context("--name")?)?;
            save_draft(&dir, &draft)?;
            println!("{party} added to the draft");
            Ok(ExitCode::SUCCESS)
        }
        DirectoryCommand::SetContactPoint(args) => set_contact_point(*args),
        DirectoryCommand::Suspend(args) => set_status(args, false),
        DirectoryCommand::Revoke(args) => set_status(args, true),
        DirectoryCommand::Reinstate { dir, party, role } => {
            let mut draft = load_draft(&dir)?;
            draft.set_status(party, role, Status::Active)?;
            save_draft(&dir, &draft)?;
            println!("{party} reinstated in the draft");
            Ok(ExitCode::SUCCESS)
        }
        DirectoryCommand::Sign {
            dir,
            valid_for,
            out,
            passphrase_file,
            time,
        } => sign(
            &dir,
            valid_for,
            &out,
            passphrase_file.as_deref(),
            time.now(),
        ),
        DirectoryCommand::Show { file } => show(&file),
        DirectoryCommand::Verify {
            file,
            signature,
            authority_cert,
            previous,
            grace_days,
            time,
        } => verify(
            &file,
            signature.as_deref(),
            &authority_cert,
            previous.as_deref(),
            grace_days,
            time.now(),
        ),
        DirectoryCommand::Update { dir, source, time } => update(&dir, source, time.now()),
    }
}

fn authority_init(
    dir: &Path,
    name: &str,
    passphrase_file: Option<&Path>,
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let name = Text::parse(name).context("--name")?;
    let pass = read_passphrase(passphrase_file)?;
    if dir.exists() {
        bail!(
            "{} exists; authority-init creates a new directory",
            dir.display()
        );
    }
    let key = NodeKey::generate(&format!("cp247 directory authority: {name}"), now, None)?;
    let locked = key.to_locked_armored(&pass)?;
    let cert_text = key.cert().armored();
    let draft = Draft::new(AuthorityRef {
        name,
        fingerprint: key.fingerprint(),
    });
    let draft_json = draft.to_json();
    create_dir_with(
        dir,
        &[
            (AUTHORITY_KEY, locked.as_bytes(), 0o600),
            (AUTHORITY_CERT, cert_text.as_bytes(), 0o644),
            (DRAFT, &draft_json, 0o644),
        ],
        &["published"],
    )?;
    println!("authority fingerprint: {}", key.fingerprint());
    println!(
        "Give {} to every node (cp247 init --authority-cert).",
        dir.join(AUTHORITY_CERT).display()
    );
    print!("{}", key.cert().armored());
    Ok(ExitCode::SUCCESS)
}

fn load_draft(dir: &Path) -> anyhow::Result<Draft> {
    let path = dir.join(DRAFT);
    let bytes = crate::node::read_bytes(&path, MAX_DRAFT).with_context(|| {
        format!(
            "{} is not a directory authority's directory (run authority-init)",
            dir.display()
        )
    })?;
    Ok(Draft::from_json(&bytes)?)
}

fn save_draft(dir: &Path, draft: &Draft) -> anyhow::Result<()> {
    write_replace(&dir.join(DRAFT), &draft.to_json())
}

fn read_cert(path: &Path) -> anyhow::Result<ListedCert> {
    let text = read_text(path, 1024 * 1024)
        .with_context(|| format!("the certificate {} cannot be read", path.display()))?;
    ListedCert::parse(&text)
        .with_context(|| format!("{} is not a usable certificate", path.display()))
}

fn some_list<T>(v: Vec<T>) -> Option<Vec<T>> {
    if v.is_empty() { None } else { Some(v) }
}

fn parse_reads(text: &str) -> Result<cp247_domain::AdvertisedLevel, String> {
    let n: u16 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a protocol level (1 to 999)"))?;
    cp247_domain::AdvertisedLevel::new(n).map_err(|e| e.to_string())
}

fn set_contact_point(a: SetContactPoint) -> anyhow::Result<ExitCode> {
    let mut draft = load_draft(&a.dir)?;
    let retire_key = match a.retire_key {
        None => None,
        Some(fp) => Some((
            fp,
            a.retire_at.unwrap_or_else(|| Instant::utc(a.time.now())),
        )),
    };
    let update = ContactPointUpdate {
        unit: a
            .unit
            .as_deref()
            .map(Text::parse)
            .transpose()
            .context("--unit")?,
        parent_authority: match (a.authority_kind, a.authority_name) {
            (Some(kind), Some(name)) => Some(ParentAuthority {
                kind,
                name: Text::parse(&name).context("--authority-name")?,
            }),
            _ => None,
        },
        mla_authority: a.mla_authority,
        capabilities: (!a.capabilities.is_empty())
            .then(|| a.capabilities.into_iter().collect::<BTreeSet<_>>()),
        node: a.endpoint.zip(a.tls_sha256),
        reads: a.reads,
        email_channel: a.email,
        set_cert: a.cert.as_deref().map(read_cert).transpose()?,
        add_cert: a.add_cert.as_deref().map(read_cert).transpose()?,
        retire_key,
        duty_phones: some_list(a.phones),
        emails: some_list(a.contact_emails),
        languages: some_list(a.languages),
        time_zone: a.tz,
        office_hours: a.office_hours,
        closed_days: if a.closed_days.is_empty() {
            None
        } else {
            let mut days = a.closed_days;
            days.sort();
            days.dedup();
            Some(days)
        },
    };
    draft.set_contact_point(a.party, a.role, update)?;
    save_draft(&a.dir, &draft)?;
    println!("{}/{} updated in the draft", a.party, a.role.as_str());
    Ok(ExitCode::SUCCESS)
}

fn set_status(a: StatusArgs, revoke: bool) -> anyhow::Result<ExitCode> {
    let mut draft = load_draft(&a.dir)?;
    let standing = Standing {
        since: a.since.unwrap_or_else(|| Instant::utc(a.time.now())),
        reason: Reason::parse(&a.reason).context("--reason")?,
    };
    let status = if revoke {
        Status::Revoked(standing)
    } else {
        Status::Suspended(standing)
    };
    let what = status.name();
    draft.set_status(a.party, a.role, status)?;
    save_draft(&a.dir, &draft)?;
    match a.role {
        None => println!("{} {what} in the draft", a.party),
        Some(role) => println!("{}/{} {what} in the draft", a.party, role.as_str()),
    }
    Ok(ExitCode::SUCCESS)
}

fn sign(
    dir: &Path,
    valid_for: SignedDuration,
    out: &Path,
    passphrase_file: Option<&Path>,
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let mut draft = load_draft(dir)?;
    let serial = draft
        .last_serial
        .checked_add(1)
        .context("the serial is exhausted")?;
    let issued_at = Instant::utc(now);
    let expires_at = Instant::utc(
        now.checked_add(valid_for)
            .context("validity out of range")?,
    );
    let directory = match draft.to_directory(serial, issued_at, expires_at) {
        Ok(d) => d,
        Err(problems) => {
            for p in &problems {
                println!("{p}");
            }
            eprintln!(
                "cp247: the draft cannot be signed: {} problem(s); nothing was written",
                problems.len()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let key_text = read_text(&dir.join(AUTHORITY_KEY), 1024 * 1024)
        .with_context(|| format!("the authority key in {} cannot be read", dir.display()))?;
    let key = NodeKey::from_locked_armored(&key_text, &read_passphrase(passphrase_file)?)
        .context("the authority key cannot be unlocked")?;
    if key.fingerprint() != draft.authority.fingerprint {
        bail!(
            "the draft names authority {}, but the key is {}",
            draft.authority.fingerprint,
            key.fingerprint()
        );
    }
    let bytes = directory.to_canonical_json();
    let signature = sign_detached(&key, &bytes, now)?;
    write_replace(out, &bytes)?;
    write_replace(&asc_path(out), signature.as_bytes())?;
    let published = dir
        .join("published")
        .join(format!("directory-{serial:06}.json"));
    write_replace(&published, &bytes)?;
    write_replace(&asc_path(&published), signature.as_bytes())?;
    draft.last_serial = serial;
    save_draft(dir, &draft)?;
    println!("signed directory serial {serial}, valid until {expires_at}");
    println!("  {}", out.display());
    println!("  {}", asc_path(out).display());
    println!(
        "check with: gpg --verify {} {}",
        asc_path(out).display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn show(file: &Path) -> anyhow::Result<ExitCode> {
    let bytes = crate::node::read_bytes(file, cp247_directory::model::MAX_DIRECTORY_BYTES as u64)?;
    let dir = match Directory::from_canonical_json(&bytes) {
        Ok(d) => d,
        Err(e) => {
            println!("invalid: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    print!("{}", render(&dir));
    println!("(not verified: use 'cp247 directory verify' to check the signature)");
    Ok(ExitCode::SUCCESS)
}

/// The directory for people.
fn render(dir: &Directory) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("Network directory serial {}", dir.serial()));
    line(format!("  issued   {}", dir.issued_at()));
    line(format!("  expires  {}", dir.expires_at()));
    line(format!(
        "  authority {} ({})",
        dir.authority().name,
        dir.authority().fingerprint
    ));
    for p in dir.parties() {
        line(String::new());
        line(format!(
            "{} — {} [{}]",
            p.party,
            p.name,
            status_text(&p.status)
        ));
        for (role, cp) in p.contact_points() {
            line(format!(
                "  {} contact point: {} [{}]",
                role.as_str(),
                cp.unit,
                status_text(&cp.status)
            ));
            contact_lines(cp, &mut line);
        }
    }
    out
}

fn contact_lines(cp: &ContactPoint, line: &mut impl FnMut(String)) {
    line(format!(
        "    part of      {} ({})",
        cp.parent_authority.name,
        cp.parent_authority.kind.as_str()
    ));
    match &cp.channel {
        Channel::Node(n) => {
            line(format!("    node         {}", n.endpoint));
            line(format!("    TLS sha256   {}", n.tls_sha256));
            if let Some(reads) = n.reads {
                line(format!("    reads        protocol level {reads}"));
            }
        }
        Channel::Email(e) => line(format!("    e-mail       {}", e.address)),
    }
    for k in cp.channel.keys().iter() {
        match k.retired_at {
            None => line(format!("    key          {}", k.fingerprint)),
            Some(r) => line(format!(
                "    key          {} (retired from {r})",
                k.fingerprint
            )),
        }
    }
    let join = |v: Vec<String>| v.join(", ");
    line(format!(
        "    duty phones  {}",
        join(cp.duty_phones.iter().map(ToString::to_string).collect())
    ));
    if !cp.emails.as_slice().is_empty() {
        line(format!(
            "    e-mails      {}",
            join(cp.emails.iter().map(ToString::to_string).collect())
        ));
    }
    line(format!(
        "    languages    {}",
        join(cp.languages.iter().map(ToString::to_string).collect())
    ));
    line(format!("    time zone    {}", cp.time_zone));
    line(format!("    office hours {}", cp.office_hours));
    if !cp.office_hours.closed_days().is_empty() {
        line(format!(
            "    closed       {}",
            join(
                cp.office_hours
                    .closed_days()
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            )
        ));
    }
    line(format!(
        "    MLA authority {}",
        if cp.mla_authority { "yes" } else { "no" }
    ));
    if !cp.capabilities.is_empty() {
        line(format!(
            "    capabilities {}",
            join(
                cp.capabilities
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect()
            )
        ));
    }
}

fn status_text(s: &Status) -> String {
    match s {
        Status::Active => "active".into(),
        Status::Suspended(st) => format!("SUSPENDED since {}: {}", st.since, st.reason),
        Status::Revoked(st) => format!("REVOKED since {}: {}", st.since, st.reason),
    }
}

fn print_health(health: &DirectoryHealth) {
    match health {
        DirectoryHealth::Valid { serial, expires_at } => {
            println!("directory serial {serial} valid until {expires_at}");
        }
        other => {
            if let Some(w) = other.warning() {
                eprintln!("cp247: WARNING: {w}");
                println!("health: {}", other.code());
            }
        }
    }
}

fn verify(
    file: &Path,
    signature: Option<&Path>,
    authority_cert: &Path,
    previous: Option<&Path>,
    grace_days: u32,
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let text = read_text(authority_cert, 1024 * 1024).with_context(|| {
        format!(
            "the authority certificate {} cannot be read",
            authority_cert.display()
        )
    })?;
    let anchor = PinnedAuthority::new(
        Cert::from_armored(&text)
            .with_context(|| format!("{} is not a certificate", authority_cert.display()))?,
    );
    let policy = AcceptancePolicy {
        grace: SignedDuration::from_hours(i64::from(grace_days) * 24),
        ..AcceptancePolicy::default()
    };
    let candidate = read_signed_directory(file, signature)?;
    let mut state = match previous {
        None => DirectoryState::new(anchor, policy),
        Some(prev) => {
            let signed = read_signed_directory(prev, None)?;
            match DirectoryState::restore(anchor, policy, &signed, now) {
                Ok(s) => s,
                Err(e) => {
                    println!("refused {}: the previous directory: {e}", e.code());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    };
    match state.offer(&candidate, now) {
        Ok(outcome) => {
            let current = state.current().context("accepted directory")?;
            match outcome {
                Acceptance::Accepted { serial, .. } | Acceptance::Unchanged { serial } => {
                    println!(
                        "good signature by the directory authority {} ({}), made {}",
                        current.directory().authority().name,
                        current.signature().cert,
                        current.signature().created
                    );
                    println!("accepted: serial {serial}");
                }
            }
            print_health(&state.health(now));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("refused {}: {e}", e.code());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn update(dir: &Path, source: Option<PathBuf>, now: Timestamp) -> anyhow::Result<ExitCode> {
    let node = Node::load(dir)?;
    let source = match source {
        Some(s) => s,
        None => match &node.files.file.directory_source {
            None => bail!("no directory source configured: give the directory file"),
            Some(_) => match node.files.directory_source()? {
                DirectorySource::Url(url) => bail!(
                    "the directory source {url} is a URL: the node's sync fetches it; give a downloaded file here"
                ),
                DirectorySource::Path(path) => path,
            },
        },
    };
    let mut state = node.directory_state(now)?;
    let candidate = read_signed_directory(&source, None)?;
    match state.offer(&candidate, now) {
        Ok(Acceptance::Unchanged { serial }) => {
            println!("unchanged: serial {serial} is already the node's directory");
        }
        Ok(Acceptance::Accepted { previous, serial }) => {
            let target = node.files.directory_file();
            // The signature first: a crash in between leaves the old file with a signature that
            // does not match it, which the node refuses rather than trusts.
            write_replace(&asc_path(&target), candidate.signature().as_bytes())?;
            write_replace(&target, candidate.json())?;
            match previous {
                Some(p) => println!("accepted: serial {serial} replaces serial {p}"),
                None => println!("accepted: serial {serial}"),
            }
        }
        Err(e) => {
            println!("refused {}: {e}", e.code());
            return Ok(ExitCode::FAILURE);
        }
    }
    print_health(&state.health(now));
    Ok(ExitCode::SUCCESS)
}
