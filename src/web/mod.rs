//! The HTTP side of `verdicts serve`: the subscribe page and form (with the content's categories, see
//! [`categories`]), the confirm and unsubscribe links, the readers' preferences page, a health check, and the layers
//! every response goes through (security headers, body limit, per-IP rate limit on POSTs).
//!
//! Build an [`AppState`], turn it into a [`Router`] with [`router`] (or add routes of your own with [`routes`] and
//! [`with_layers`]), and run it on a listener with [`serve`]. Nothing here reads the wall clock or the
//! environment: the state carries a [`Clock`] and the [`Config`], so tests start the real server in-process with a
//! pinned clock.

mod archive;
pub mod categories;
pub mod client_addr;
mod confirm;
pub mod confirmation_mail;
pub mod confirmation_queue;
mod error;
mod idle_io;
mod layers;
mod links;
mod metrics;
pub mod pages;
mod preferences;
pub mod rate_limit;
mod server;
mod store_pool;
pub mod subscribe;
pub mod topics_form;
pub mod webhooks;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::routing::{any, get};
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use crate::clock::Clock;
use crate::config::{Config, Secrets};
use crate::content::KnownCategories;
use crate::mail::Mailer;
use crate::metrics::Counters;
use crate::store::Store;
use crate::tokens::Tokens;
use categories::ContentCategories;
pub use error::WebError;
pub use metrics::MetricsToken;
pub use rate_limit::RateLimiter;
pub use server::{ServeOptions, serve_with};
pub use store_pool::StorePool;
pub use webhooks::Webhooks;

/// The one-click unsubscribe route; its POSTs with a valid token bypass the rate limit.
pub(crate) const UNSUBSCRIBE_ROUTE: &str = "/unsubscribe/{token}";

/// Largest request body accepted, in bytes: a subscribe form is a few hundred bytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Everything a handler needs, cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: StorePool,
    tokens: Tokens,
    mailer: Mailer,
    clock: Clock,
    limiter: RateLimiter,
    /// Wakes the task that sends queued confirmation mails.
    mail_queue: confirmation_queue::MailQueue,
    /// Work that outlives a request (the confirmation mail sender); [`AppState::finish_background`] stops it and
    /// waits for it at shutdown.
    background: Mutex<JoinSet<()>>,
    /// `/metrics` answers only with this token; `None`: it is off (404).
    metrics_token: Option<MetricsToken>,
    /// This server's running totals: requests, and the mail it sends (the scheduler's sends included).
    counters: Counters,
    /// The categories of the content, for the subscribe form and the preferences page.
    categories: ContentCategories,
    /// The provider webhooks that are on, with their secrets.
    webhooks: Webhooks,
}

impl AppState {
    /// The state `verdicts serve` runs with: the store at `config.database`, the token key from the secrets (or
    /// the store), mail through the configured transport (the outbox by default).
    pub fn from_config(config: Config, secrets: &Secrets, clock: Clock) -> Result<AppState> {
        let mut store = Store::open(&config.database)?;
        if config.smtp_url.is_none() {
            crate::private_files::create_private_dir(&config.outbox_dir)
                .context("creating the outbox")?;
        }
        for loose in crate::private_files::loose(&config.database, &config.outbox_dir) {
            tracing::warn!("{loose}");
        }
        let tokens = Tokens::load(secrets, &mut store).context("loading the link signing key")?;
        let mailer = Mailer::from_config(&config, secrets)?.with_clock(clock.clone());
        let webhooks = Webhooks::from_config(&config, secrets)?;
        let pool = StorePool::new(&config.database);
        pool.put_back(store);
        Ok(AppState::new(StateParts {
            config,
            store: pool,
            tokens,
            mailer,
            clock,
            metrics_token: secrets.metrics_token.as_deref().and_then(MetricsToken::new),
            webhooks,
        }))
    }

    pub fn new(parts: StateParts) -> AppState {
        let limiter = RateLimiter::new(parts.config.post_rate_limit_per_minute);
        let counters = Counters::default();
        let categories = ContentCategories::new(&parts.config.content_dir, &parts.config.base_url);
        let state = AppState {
            inner: Arc::new(Inner {
                categories,
                config: parts.config,
                store: parts.store,
                tokens: parts.tokens,
                mailer: parts.mailer.with_counters(counters.clone()),
                clock: parts.clock,
                limiter,
                background: Mutex::new(JoinSet::new()),
                mail_queue: confirmation_queue::MailQueue::default(),
                metrics_token: parts.metrics_token,
                counters,
                webhooks: parts.webhooks,
            }),
        };
        confirmation_queue::start(&state);
        state
    }

    /// The confirmation mail queue's sender: wake it after queueing a mail.
    pub fn mail_queue(&self) -> &confirmation_queue::MailQueue {
        &self.inner.mail_queue
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store, for handlers: `state.store().run(move |store| store.list(None)).await`.
    pub fn store(&self) -> &StorePool {
        &self.inner.store
    }

    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }

    pub fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// This server's running totals; hand them to a send run in the same process (the scheduler) so `/metrics`
    /// shows its messages.
    pub fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// The categories the content has now (read again when the content changed; see [`categories`]).
    pub async fn known_categories(&self) -> Arc<KnownCategories> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.inner.categories.current())
            .await
            .unwrap_or_default()
    }

    /// Whether `/metrics` answers (a token is configured).
    pub fn metrics_enabled(&self) -> bool {
        self.inner.metrics_token.is_some()
    }

    /// The provider webhooks that are on.
    pub fn webhooks(&self) -> &Webhooks {
        &self.inner.webhooks
    }

    pub(crate) fn metrics_token(&self) -> Option<&MetricsToken> {
        self.inner.metrics_token.as_ref()
    }

    /// The time a request is handled at (the state's clock).
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub(crate) fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// Runs `task` in the background, tracked for [`AppState::finish_background`]; finished tasks are reaped on
    /// the way.
    pub fn spawn_background(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self
            .inner
            .background
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    /// Waits up to `timeout` for background work (confirmation mails still being sent), after the server has
    /// stopped. Returns how many tasks were left unfinished.
    pub async fn finish_background(&self, timeout: Duration) -> usize {
        self.inner.mail_queue.stop();
        let mut tasks = std::mem::take(
            &mut *self
                .inner
                .background
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let drained = tokio::time::timeout(timeout, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        match drained {
            Ok(()) => 0,
            Err(_) => tasks.len(),
        }
    }
}

/// What [`AppState::new`] is built from.
pub struct StateParts {
    pub config: Config,
    pub store: StorePool,
    pub tokens: Tokens,
    pub mailer: Mailer,
    pub clock: Clock,
    /// `None`: `/metrics` is off.
    pub metrics_token: Option<MetricsToken>,
    /// The provider webhooks that are on (`Webhooks::default()`: none).
    pub webhooks: Webhooks,
}

/// The subscription routes, without state or layers: merge routes of your own into them (e.g. `/archive`), then
/// finish with [`with_layers`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(subscribe::page))
        .route("/subscribe", get(subscribe::page).post(subscribe::submit))
        .route(
            "/confirm/{token}",
            get(confirm::page_with_button).post(confirm::confirm),
        )
        .route("/unsubscribe", get(links::unsubscribe_help))
        .route(
            UNSUBSCRIBE_ROUTE,
            get(links::unsubscribe_page).post(links::unsubscribe),
        )
        .route(
            preferences::PREFERENCES_ROUTE,
            get(preferences::preferences_page).post(preferences::save_preferences),
        )
        .route("/healthz", get(links::healthz))
        // Every method, so that while it is off no method tells it apart from an unknown path.
        .route("/metrics", any(metrics::page))
        .merge(archive::routes())
        .merge(webhooks::routes())
        .fallback(links::not_found)
}

/// Adds the state and the layers every response goes through: request tracing, security headers (a route may
/// set its own `Content-Security-Policy`; the default allows no scripts), the body limit (413) and the per-IP
/// rate limit on POSTs (429 with `Retry-After`).
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    layers::apply(routes, state)
}

/// The whole subscription side: [`routes`] with [`with_layers`].
pub fn router(state: AppState) -> Router {
    with_layers(routes(), state)
}

/// Serves `app` on `listener` with the default [`ServeOptions`] until `shutdown` completes; see [`serve_with`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, ServeOptions::default(), shutdown).await
}
