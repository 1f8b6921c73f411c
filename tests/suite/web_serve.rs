//! `verdicts serve` as a real process: it listens where the configuration says, logs its address, serves, and
//! stops cleanly on SIGTERM after writing the confirmation email to the outbox (the default transport).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn verdicts_serve_subscribes_into_the_outbox_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["serve", "--no-schedule"])
        .current_dir(dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env_remove("VERDICTS_SMTP_URL")
        .env("VERDICTS_LISTEN", "127.0.0.1:0")
        .env("VERDICTS_DATABASE", dir.path().join("verdicts.db"))
        .env("VERDICTS_OUTBOX_DIR", dir.path().join("outbox"))
        .env("VERDICTS_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut log = Vec::new();
    let address = loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no address logged:\n{}", log.join("\n")));
        log.push(line.clone());
        if let Some(rest) = line.split("serving the subscribe page on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
        }
    };

    let client = reqwest::Client::new();
    let health = client
        .get(format!("{address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let subscribed = client
        .post(format!("{address}/subscribe"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("email=proc%40example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(subscribed.status(), 200);

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", log.join("\n"));

    // The confirmation email is not lost: it went out before the process exited, or (when SIGTERM came before the
    // queue took it) it is still queued for the next start. Never both, never neither.
    let outbox: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|e| e == "eml"))
                .collect()
        })
        .unwrap_or_default();
    let queued: i64 = rusqlite::Connection::open(dir.path().join("verdicts.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM confirmation_mails", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(
        outbox.len() as i64 + queued,
        1,
        "sent {outbox:?}, queued {queued}"
    );
    if let Some(eml) = outbox.first() {
        let eml = std::fs::read_to_string(eml).unwrap();
        assert!(eml.contains("To: proc@example.org"), "{eml}");
    }
}
