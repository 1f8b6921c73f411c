//! Two `verdicts serve` instances with their schedulers on one PostgreSQL database: the fire is sent once, by
//! the instance that takes the send lease; the other finds it held (or the issue delivered) and sends nothing.
//! Skipped, saying so, without the PostgreSQL test cluster.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weekly_verdicts::store::{Database, Store};

use super::address;
use super::senders::{CLAIM_SECONDS, ledger, per_recipient, seed, slow_relay};
use crate::support::postgres::fresh_database;

/// `verdicts serve` with its scheduler, its log kept; killed when dropped.
pub(super) struct Instance {
    pub(super) child: Child,
    log: Arc<Mutex<Vec<String>>>,
    _folder: tempfile::TempDir,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    fn start(
        database: &Database,
        smtp_url: &str,
        content: &std::path::Path,
        schedule: &str,
    ) -> Instance {
        Instance::start_with(database, smtp_url, content, schedule, &[])
    }

    /// [`Instance::start`] with more settings in its environment.
    pub(super) fn start_with(
        database: &Database,
        smtp_url: &str,
        content: &std::path::Path,
        schedule: &str,
        env: &[(&str, &str)],
    ) -> Instance {
        let folder = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_verdicts"))
            .arg("serve")
            .current_dir(folder.path())
            .env_remove("VERDICTS_CONFIG")
            .env("VERDICTS_DATABASE", database.to_string())
            .env("VERDICTS_SMTP_URL", smtp_url)
            .env("VERDICTS_CONTENT_DIR", content)
            .env("VERDICTS_LISTEN", "127.0.0.1:0")
            .env("VERDICTS_SCHEDULE", schedule)
            .env("VERDICTS_SEND_CLAIM_SECONDS", CLAIM_SECONDS)
            .env("VERDICTS_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Instance {
            child,
            log,
            _folder: folder,
        }
    }

    pub(super) fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_instances_on_one_postgresql_database_send_a_scheduled_fire_once() {
    const SUBSCRIBERS: usize = 300;
    let Some(database) = fresh_database("two_serve_instances_on_one_postgresql_database") else {
        return;
    };
    seed(&database, SUBSCRIBERS);
    let server = slow_relay().await;
    let (fire, schedule, content) = crate::operate::fire_soon_with_fresh_content();
    let instances: Vec<Instance> = (0..2)
        .map(|_| Instance::start(&database, &server.url(), content.path(), &schedule))
        .collect();

    server
        .wait_for_messages(SUBSCRIBERS, Duration::from_secs(120))
        .await;
    // Both instances log how they handled the fire: the one that sent it, and the one that found the lease held
    // (or, coming late, the issue delivered).
    let handled =
        |log: &str| log.contains("scheduled send for") || log.contains("this fire is theirs");
    for _ in 0..300 {
        if instances.iter().all(|instance| handled(&instance.log())) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs: Vec<String> = instances.iter().map(Instance::log).collect();
    let sent_it = format!("this run, by recipient: {SUBSCRIBERS} sent");
    let senders = logs.iter().filter(|log| log.contains(&sent_it)).count();
    let others = logs
        .iter()
        .filter(|log| log.contains("this fire is theirs") || log.contains("was already delivered"))
        .count();
    assert_eq!(
        (senders, others),
        (1, 1),
        "one instance sent the whole fire:\n{}",
        logs.join("\n----\n")
    );
    assert_eq!(
        Store::open(&database)
            .unwrap()
            .scheduler_last_fire()
            .unwrap(),
        Some(fire),
        "the fire is recorded as handled"
    );
    let messages = server.messages();
    let counts = per_recipient(&messages);
    for i in 0..SUBSCRIBERS {
        assert_eq!(counts.get(&address(i)), Some(&1), "{}", address(i));
    }
    assert_eq!(messages.len(), SUBSCRIBERS, "one send for the fire");
    let key = messages[0].header("X-Verdicts-Issue").unwrap();
    assert_eq!(ledger(&database, &key).sent, SUBSCRIBERS as u64);
}
