//! `verdicts serve`: the web side on `config.listen` (and, unless `--no-schedule`, the weekly scheduler), until
//! SIGINT or SIGTERM; requests in progress get `shutdown_drain_seconds` to finish, and confirmation mails being
//! sent are allowed to finish.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::net::TcpListener;

use crate::config::{Config, Secrets};
use crate::delivery::StopSignal;
use crate::exit::ExitStatus;
use crate::web::{self, AppState, Clock};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Web pages only: do not run the weekly scheduler in this instance.
    #[arg(long)]
    pub no_schedule: bool,
}

/// How long shutdown waits for confirmation mails still being sent.
const MAIL_DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

pub fn run(config: &Config, args: ServeArgs) -> Result<ExitStatus> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(serve(config.clone(), args))
}

async fn serve(config: Config, args: ServeArgs) -> Result<ExitStatus> {
    let secrets = Secrets::from_env();
    let state = AppState::from_config(config.clone(), &secrets, Clock::system())?;
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {} (the `listen` setting)", config.listen))?;
    let local = listener.local_addr()?;
    tracing::info!(
        "serving the subscribe page on http://{local}/ (public address {})",
        config.base_url
    );
    if state.metrics_enabled() {
        tracing::info!(
            "metrics at http://{local}/metrics (bearer token from VERDICTS_METRICS_TOKEN)"
        );
    }
    for path in state.webhooks().enabled() {
        tracing::info!("provider webhook at http://{local}{path}");
    }
    if let Some(expires) = state.webhooks().ses_certificate_expires() {
        tracing::info!(
            "the SNS signing certificate in ses_certificate_file is valid until {expires}"
        );
    }
    match &config.smtp_url {
        Some(_) => tracing::info!(
            "confirmation emails go through {}",
            state.mailer().destination()
        ),
        None => tracing::info!(
            "confirmation emails go into {} (no smtp_url set)",
            config.outbox_dir.display()
        ),
    }

    let (stop_handle, stop) = StopSignal::new();
    tokio::spawn(async move {
        shutdown_signal().await;
        stop_handle.stop();
    });
    let scheduler = if args.no_schedule {
        tracing::info!("--no-schedule: this instance sends no issues");
        None
    } else {
        let schedule = crate::schedule::Schedule::parse(&config.schedule, config.timezone)?;
        if let Some(next) = schedule.next_after(crate::clock::now()) {
            tracing::info!(
                "the weekly issue goes out on schedule {:?} ({}); next at {}",
                config.schedule,
                config.timezone,
                next.with_timezone(&config.timezone)
            );
        }
        // Its own thread and runtime: a send never competes with page requests for the runtime,
        // and a slow page never holds up a send.
        let context = crate::schedule::job::FireContext {
            secrets: secrets.clone(),
            stop: stop.clone(),
            counters: state.counters().clone(),
        };
        let config = config.clone();
        Some(
            std::thread::Builder::new()
                .name("scheduler".into())
                .spawn(move || -> Result<()> {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?
                        .block_on(crate::schedule::job::run_until_stopped(config, context))
                })
                .context("starting the scheduler thread")?,
        )
    };

    let options = web::ServeOptions::from_config(&config);
    tracing::info!(
        "at most {} open connections; headers within {}s; idle connections closed after {}s; {}s to drain on \
         shutdown",
        options.max_connections,
        options.header_read_timeout.as_secs(),
        options.idle_timeout.as_secs(),
        options.drain_timeout.as_secs()
    );
    let mut web_stop = stop.clone();
    web::serve_with(listener, web::router(state.clone()), options, async move {
        web_stop.stopped().await
    })
    .await
    .context("serving HTTP")?;
    if let Some(scheduler) = scheduler {
        match tokio::task::spawn_blocking(move || scheduler.join()).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => tracing::error!("the scheduler stopped: {error:#}"),
            _ => tracing::error!("the scheduler thread failed"),
        }
    }
    let unfinished = state.finish_background(MAIL_DRAIN_TIMEOUT).await;
    if unfinished > 0 {
        tracing::warn!(
            "the confirmation email in hand was still being sent at shutdown; it stays queued and goes out \
             at the next start"
        );
    }
    tracing::info!("stopped");
    Ok(ExitStatus::Success)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (systemd, docker stop).
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("interrupted: finishing requests in progress"),
        () = terminate => tracing::info!("terminated: finishing requests in progress"),
    }
}
