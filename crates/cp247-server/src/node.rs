//! Starting and stopping a node: load and check everything, open the store, restore and
//! refresh the directory, bind the listener, then run the listener, the delivery workers and
//! the directory schedule and the audit checkpoints as supervised tasks until shutdown.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cp247_casework::keys::{Cert, NodeKey, OpenPolicy, Passphrase};
use cp247_casework::{
    Alerts, CaseWork, LogAlerts, Outbox, OutboxSettings, Parts, SchedulerSettings,
};
use cp247_directory::{AcceptancePolicy, PinnedAuthority};
use cp247_domain::{Address, Clock, TestClock};
use cp247_federation::HttpsTransport;
use cp247_federation::directory::DirectorySync;
use cp247_federation::inbound::{self, Admission, Inbound};
use cp247_federation::listen::{self, ListenMode, SourceExemption};
use cp247_federation::tls::{TlsIdentity, TlsPin, check_private};
use cp247_store::{Backend, Store, StoreOptions};
use cp247_transport::{DirectoryHandle, Metrics, Transport};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::NodeConfig;

/// The largest key or certificate file read.
const MAX_KEY_FILE: u64 = 256 * 1024;

/// Why the node did not start. Each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A file the node needs is missing or unreadable.
    #[error("{what} {path}: {reason}")]
    File {
        /// What the file is.
        what: &'static str,
        /// Where.
        path: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The secret key does not open or does not match.
    #[error("the node's secret key {path} cannot be used: {reason}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The TLS certificate or key is unusable.
    #[error(transparent)]
    Tls(#[from] cp247_federation::tls::TlsError),
    /// The database cannot be opened.
    #[error("cannot open the database: {0}")]
    Store(#[from] cp247_store::StoreError),
    /// The stored directory is unusable.
    #[error(transparent)]
    Directory(#[from] cp247_federation::directory::RestoreError),
    /// The directory synchroniser could not be built.
    #[error(transparent)]
    Refresh(#[from] cp247_federation::directory::RefreshError),
    /// `[notify]` cannot be used (a secret file, a certificate, the relay settings).
    #[error(transparent)]
    Notify(crate::config::ConfigError),
    /// The web interface could not be prepared.
    #[error("cannot prepare the web interface: {0}")]
    Web(#[from] crate::accounts::AccountError),
    /// The operator socket could not be set up.
    #[error(transparent)]
    Operator(#[from] crate::operator::SocketError),
    /// The secrets key is missing, unreadable, readable by others, or not the database's.
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    /// `[web]` cannot be used.
    #[error(transparent)]
    WebSettings(crate::config::ConfigError),
    /// The listener could not start.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: cp247_federation::listen::ListenError,
    },
}

/// Everything the request handlers share.
#[derive(Debug)]
pub struct NodeContext {
    /// The configuration.
    pub config: NodeConfig,
    /// This node's contact point.
    pub me: Address,
    /// Its case work: every route that reads or changes cases goes through it.
    pub work: Arc<CaseWork>,
    /// The TLS pin it serves with, if HTTPS.
    pub tls_pin: Option<TlsPin>,
    /// The store (accounts, sessions, tokens; case data through [`NodeContext::work`]).
    pub store: Store,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The current directory.
    pub directory: DirectoryHandle,
    /// The directory synchroniser.
    pub sync: Arc<DirectorySync>,
    /// The federation endpoint's inbound pipeline.
    pub inbound: Inbound,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The web interface's shared state (password hasher, sign-in limits, cookies).
    pub web: crate::web::WebState,
    /// The movable clock of a test network (`[testing] clock_control`), else `None`.
    pub test_clock: Option<Arc<TestClock>>,
}

/// Reads the passphrase file (which must be private), without its final line break.
pub fn read_passphrase_file(path: &Path) -> Result<Passphrase, StartError> {
    let text = read_small("passphrase file", path)?;
    check_private(path).map_err(|e| StartError::File {
        what: "passphrase file",
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let trimmed = text.strip_suffix('\n').unwrap_or(&text);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Err(StartError::File {
            what: "passphrase file",
            path: path.display().to_string(),
            reason: "it is empty".into(),
        });
    }
    Ok(Passphrase::new(trimmed.to_owned()))
}

fn read_small(what: &'static str, path: &Path) -> Result<String, StartError> {
    use std::io::Read;
    let err = |reason: String| StartError::File {
        what,
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut text = String::new();
    file.take(MAX_KEY_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| err(e.to_string()))?;
    if text.len() as u64 > MAX_KEY_FILE {
        return Err(err(format!("it is larger than {MAX_KEY_FILE} bytes")));
    }
    Ok(text)
}

/// Loads the pinned directory authority certificate. Without it no directory could be trusted,
/// so its absence stops the node.
pub fn load_authority(config: &NodeConfig) -> Result<PinnedAuthority, StartError> {
    let path = &config.authority_cert;
    let text = read_small("the pinned directory authority certificate", path).map_err(|e| {
        match e {
            StartError::File { what, path, reason } => StartError::File {
                what,
                path,
                reason: format!(
                    "{reason}; without a pinned authority certificate no network directory can be trusted, so the node refuses to start"
                ),
            },
            other => other,
        }
    })?;
    PinnedAuthority::from_armored(&text).map_err(|e| StartError::File {
        what: "the pinned directory authority certificate",
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Loads the node's secret key, refusing a key file other users can read, and checks it
/// against the certificate file.
pub fn load_key(config: &NodeConfig, passphrase: &Passphrase) -> Result<NodeKey, StartError> {
    let path = &config.secret_key;
    let shown = path.display().to_string();
    let text = read_small("the node's secret key", path)?;
    check_private(path).map_err(|e| StartError::Key {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let key = NodeKey::from_locked_armored(&text, passphrase).map_err(|e| StartError::Key {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    if config.cert.exists() {
        let cert_text = read_small("the node's certificate", &config.cert)?;
        let cert = Cert::from_armored(&cert_text).map_err(|e| StartError::File {
            what: "the node's certificate",
            path: config.cert.display().to_string(),
            reason: e.to_string(),
        })?;
        if cert.fingerprint() != key.fingerprint() {
            return Err(StartError::Key {
                path: shown,
                reason: format!(
                    "it is key {}, but the certificate file {} is for key {}",
                    key.fingerprint(),
                    config.cert.display(),
                    cert.fingerprint()
                ),
            });
        }
    }
    Ok(key)
}

/// A started node: listening, with its tasks running.
#[derive(Debug)]
pub struct RunningNode {
    /// The shared context.
    pub context: Arc<NodeContext>,
    /// Where it listens (everything, or only the federation endpoint and `/healthz` when
    /// `listen_officers` is set).
    pub local_addr: SocketAddr,
    /// Where the officers' web interface and API listen, when apart (`listen_officers`).
    pub officers_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl RunningNode {
    /// The token whose cancellation stops the node.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until the node has stopped (after the shutdown token is cancelled).
    pub async fn wait(self) {
        self.tasks.wait().await;
        self.context.store.close().await;
        tracing::info!(node = %self.context.me, "node stopped");
    }
}

/// Starts a node with the passphrase of its secret key; duty-officer alerts go to the log.
pub async fn start(
    config: NodeConfig,
    passphrase: Passphrase,
    clock: Arc<dyn Clock>,
) -> Result<RunningNode, StartError> {
    start_with_alerts(config, passphrase, clock, Arc::new(LogAlerts)).await
}

/// Starts a node whose scheduler sends duty-officer alerts to `alerts`.
pub async fn start_with_alerts(
    config: NodeConfig,
    passphrase: Passphrase,
    clock: Arc<dyn Clock>,
    alerts: Arc<dyn Alerts>,
) -> Result<RunningNode, StartError> {
    cp247_federation::tls::install_crypto_provider();
    // A test network may move its clock forward; the configuration only allows this on a
    // plain-HTTP loopback node (see `[testing]`).
    let test_clock = config
        .file
        .testing
        .clock_control
        .then(|| Arc::new(TestClock::new(clock.clone())));
    let clock: Arc<dyn Clock> = match &test_clock {
        Some(t) => {
            tracing::warn!(
                "TEST CLOCK CONTROL IS ON: this node's clock can be moved by an admin token; never use this configuration for a real node"
            );
            t.clone()
        }
        None => clock,
    };
    let now = clock.now();
    let anchor = load_authority(&config)?;
    let key = Arc::new(load_key(&config, &passphrase)?);
    drop(passphrase);
    let me = config.address;

    let (mode, tls_pin) = match &config.tls {
        Some(paths) => {
            let (identity, created) =
                TlsIdentity::load_or_generate(&paths.cert, &paths.key, &paths.names, now)?;
            if created {
                tracing::warn!(
                    cert = %paths.cert.display(),
                    tls_sha256 = %identity.pin(),
                    "generated a self-signed TLS certificate: publish its fingerprint in the directory"
                );
            }
            (
                ListenMode::Tls(Arc::new(identity.server_config()?)),
                Some(identity.pin()),
            )
        }
        None => (ListenMode::PlainLoopback, None),
    };

    let limits_cfg = &config.file.limits;
    let open_limits = limits_cfg.open_limits();
    let store_options = StoreOptions {
        max_connections: config.file.database_max_connections.unwrap_or(10),
        max_message_bytes: open_limits.max_sealed_bytes,
        max_attachments: limits_cfg.max_attachments,
        max_attachment_bytes: limits_cfg.max_attachment_bytes,
        max_attachments_total_bytes: limits_cfg.max_attachments_total_bytes,
        ..StoreOptions::default()
    };
    let store = Store::connect(&config.database_url, store_options).await?;
    // The key that seals TOTP seeds; plain-text seeds of earlier versions are sealed now.
    let secrets_path = crate::secrets::key_path(&config);
    let (secrets, sealed) = crate::secrets::open_for_node(&secrets_path, &store).await?;
    if sealed.created {
        tracing::warn!(path = %secrets_path.display(), key = secrets.id(), "created the secrets key file that seals TOTP seeds: back it up with the node directory, apart from database backups");
    }
    if sealed.sealed > 0 {
        tracing::info!(
            count = sealed.sealed,
            "sealed TOTP seeds stored in plain text by an earlier version"
        );
    }
    let client_addresses = config
        .file
        .web
        .client_addresses()
        .map_err(StartError::WebSettings)?;

    let policy = AcceptancePolicy {
        grace: config.directory_grace,
        ..AcceptancePolicy::default()
    };
    let state = cp247_federation::directory::restore(&store, anchor, policy, now).await?;
    let handle = DirectoryHandle::new(state);
    let metrics = Arc::new(Metrics::default());
    let sync = Arc::new(DirectorySync::new(
        handle.clone(),
        store.clone(),
        config.directory_source.clone(),
        Some(config.directory_file.clone()),
        clock.clone(),
        metrics.clone(),
        config.file.peers.total_timeout.duration(),
    )?);

    let open_policy = OpenPolicy {
        max_age: limits_cfg.max_message_age.signed(),
        max_future: limits_cfg.max_clock_ahead.signed(),
        ..OpenPolicy::default()
    };
    let notifier = config
        .file
        .notify
        .build(&config.base_dir, key.clone(), clock.clone())
        .map_err(StartError::Notify)?
        .map(Arc::new);
    // With `[notify]`, a task sends the stored duty-officer alerts (e-mail, webhook).
    let sender_notifier = notifier.clone().filter(|n| n.is_configured());
    let work = Arc::new(
        CaseWork::new(Parts {
            me,
            key: key.clone(),
            store: store.clone(),
            clock: clock.clone(),
            directory: handle.clone(),
            policy: config.file.cases.policy(),
            limits: open_limits,
            metrics: metrics.clone(),
            alert_log: alerts,
            notifier,
            scheduler: SchedulerSettings {
                every: config.file.cases.scheduler_every.duration(),
                batch: config.file.cases.scheduler_batch,
            },
        })
        .reading(config.file.federation.level()),
    );
    let inbound = Inbound {
        key: key.clone(),
        me,
        inbox: work.clone(),
        store: store.clone(),
        clock: clock.clone(),
        limits: open_limits,
        policy: open_policy,
        metrics: metrics.clone(),
        admission: Admission::new(
            config.file.limits.max_inbound_opening,
            config.file.limits.max_inbound_waiting,
        )
        .storing_at_once(match store.backend() {
            Backend::Sqlite => config.file.limits.max_inbound_opening,
            Backend::Postgres => {
                config.file.limits.max_inbound_opening * inbound::STORING_PER_OPENING
            }
        }),
        refusals: config.file.audit.refusal_policy(),
    };
    let d = &config.file.delivery;
    let settings = OutboxSettings {
        lease: d.lease.duration(),
        first_retry: d.first_retry.duration(),
        max_backoff: d.max_backoff.duration(),
        give_up_after: d.give_up_after.signed(),
        poll_every: d.poll_every.duration(),
        concurrency_per_peer: usize::try_from(d.concurrency_per_peer).unwrap_or(8),
        batch: d.batch,
    };
    let https: Arc<dyn Transport> = Arc::new(
        HttpsTransport::new(clock.clone(), config.client_limits())
            .reading(config.file.federation.level()),
    );
    let worker_prefix = format!("{me}#{}", std::process::id());
    let outbox = Arc::new(Outbox::new(
        work.clone(),
        vec![https],
        settings,
        worker_prefix,
    ));

    let shutdown = CancellationToken::new();
    // The host operator's way in (tokens for machine accounts, ADR 0020).
    let operator_socket = match crate::operator::bind(&crate::operator::socket_path(
        &config.base_dir,
    )) {
        Ok(socket) => Some(socket),
        Err(e) if e.in_use => {
            tracing::warn!(error = %e, "another process of this node serves the operator socket; this one does not");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let listener = listen::bind(config.listen, tls_pin.is_some())
        .await
        .map_err(|source| StartError::Listen {
            address: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|e| StartError::Listen {
        address: config.listen,
        source: e.into(),
    })?;
    let officers_listener = match config.listen_officers {
        None => None,
        Some(address) => {
            let bound = listen::bind(address, tls_pin.is_some())
                .await
                .map_err(|source| StartError::Listen { address, source })?;
            let at = bound.local_addr().map_err(|e| StartError::Listen {
                address,
                source: e.into(),
            })?;
            Some((bound, at))
        }
    };
    let officers_addr = officers_listener.as_ref().map(|(_, at)| *at);

    let refresh_every = config.directory_refresh.duration();
    let serve_limits = config.serve_limits();
    // Behind a trusted reverse proxy every officer shares its address: the per-source cap
    // does not apply to it (the global cap does).
    let exemption = {
        let proxies = client_addresses.clone();
        SourceExemption::new(move |ip| proxies.is_trusted_proxy(ip))
    };
    let web = crate::web::WebState::new(
        tls_pin.is_some(),
        crate::web::DEFAULT_SESSION_LIMITS,
        crate::throttle::Throttle::new(store.clone(), cp247_store::ThrottlePolicy::default()),
        client_addresses,
        Arc::new(secrets),
    )?;
    let checkpoint_every = config.file.audit.checkpoint_every.duration();
    let context = Arc::new(NodeContext {
        config,
        me,
        work: work.clone(),
        tls_pin,
        store,
        clock,
        directory: handle,
        sync: sync.clone(),
        inbound,
        metrics,
        web,
        test_clock,
    });

    // The first refresh before serving, so that a node with a reachable directory is ready
    // as soon as it listens. A failure is logged: the stored directory (if any) still serves.
    let _ = sync.refresh().await;

    let tasks = TaskTracker::new();
    if let Some(notifier) = sender_notifier {
        tasks.spawn(cp247_casework::alerts::run_sender(
            work.clone(),
            notifier,
            shutdown.clone(),
        ));
    }
    let mut listeners = vec![(
        listener,
        if officers_listener.is_some() {
            crate::routes::Surface::Federation
        } else {
            crate::routes::Surface::All
        },
    )];
    if let Some((officers, _)) = officers_listener {
        listeners.push((officers, crate::routes::Surface::Officers));
    }
    for (listener, surface) in listeners {
        let router = crate::routes::router_for(context.clone(), surface);
        let token = shutdown.clone();
        let mode = mode.clone();
        let exemption = exemption.clone();
        tasks.spawn(async move {
            if let Err(e) = listen::serve_with(
                listener,
                mode,
                router,
                serve_limits,
                exemption,
                token.clone(),
            )
            .await
            {
                tracing::error!(error = %e, ?surface, "the listener failed");
                token.cancel();
            }
        });
    }
    if let Some(socket) = operator_socket {
        tasks.spawn(crate::operator::serve(
            socket,
            context.clone(),
            shutdown.clone(),
        ));
    }
    tasks.spawn(outbox.run(shutdown.clone()));
    tasks.spawn(sync.run(refresh_every, shutdown.clone()));
    tasks.spawn(cp247_casework::checkpoint::run(
        context.store.clone(),
        key,
        context.clock.clone(),
        checkpoint_every,
        shutdown.clone(),
    ));
    tasks.spawn(cp247_federation::inbound::flush_task(
        context.store.clone(),
        context.clock.clone(),
        context.inbound.refusals,
        shutdown.clone(),
    ));
    tasks.spawn(cp247_casework::scheduler::run(work, shutdown.clone()));
    tasks.close();
    tracing::info!(node = %context.me, address = %local_addr, officers = ?officers_addr, tls = context.tls_pin.is_some(), "node started");
    Ok(RunningNode {
        context,
        local_addr,
        officers_addr,
        shutdown,
        tasks,
    })
}

/// How long [`RunningNode::wait`] callers may wait before giving up on a clean stop.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);
