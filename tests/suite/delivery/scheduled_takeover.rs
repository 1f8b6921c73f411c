//! Two `verdicts serve` instances with their schedulers on one store, the one sending a fire SIGKILLed part-way: the
//! other, which found the send lease held, looks again once the lease could have expired and finishes the fire, so
//! every subscriber gets the issue, with one Message-ID each and no more repeats than the crash bound allows. On a
//! SQLite file (two instances on one machine) and, with the test cluster, on PostgreSQL.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use weekly_verdicts::delivery::MAX_UNCOMMITTED;
use weekly_verdicts::store::Store;

use super::scheduled_senders::Instance;
use super::senders::{ledger, seed, slow_relay};
use super::{CONCURRENCY, address};
use crate::support::postgres::backends;

const N: usize = 3000;

/// The send lease's time to live: short, so the survivor resumes within seconds of the kill.
const LEASE_SECONDS: &str = "3";

/// What an instance logs when it finds the lease held for the fire.
const HELD: &str = "this fire is theirs";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serve_instance_killed_mid_send_leaves_its_scheduled_fire_to_the_other_which_finishes_it()
{
    for backend in backends("a_serve_instance_killed_mid_send") {
        killed_mid_send_and_finished_by_the_other(backend.name, &backend.database).await;
    }
}

async fn killed_mid_send_and_finished_by_the_other(
    name: &str,
    database: &weekly_verdicts::store::Database,
) {
    seed(database, N);
    let server = slow_relay().await;
    let (fire, schedule, content) = crate::operate::fire_soon_with_fresh_content();
    let concurrency = CONCURRENCY.to_string();
    let env = [
        ("VERDICTS_SEND_LEASE_SECONDS", LEASE_SECONDS),
        ("VERDICTS_CONCURRENCY", concurrency.as_str()),
    ];
    let mut instances: Vec<Instance> = (0..2)
        .map(|_| Instance::start_with(database, &server.url(), content.path(), &schedule, &env))
        .collect();

    let before_kill = server
        .wait_for_messages(N / 3, Duration::from_secs(120))
        .await
        .len();
    assert!(before_kill >= N / 3, "{name}: the send started");
    let waiter = wait_for(&instances, Duration::from_secs(60), |log| {
        log.contains(HELD)
    })
    .await
    .unwrap_or_else(|| panic!("{name}: one instance found the lease held"));
    let holder = &mut instances[1 - waiter];
    holder.child.kill().unwrap(); // SIGKILL
    holder.child.wait().unwrap();
    let at_kill = server.messages().len();
    assert!(at_kill < N, "{name}: killed part-way: {at_kill} of {N}");

    let survivor = &instances[waiter];
    let finished = |log: &str| log.contains("scheduled send for");
    wait_for(
        std::slice::from_ref(survivor),
        Duration::from_secs(300),
        finished,
    )
    .await
    .unwrap_or_else(|| {
        panic!(
            "{name}: the survivor finished the fire:\n{}\n---- the killed instance:\n{}",
            survivor.log(),
            instances[1 - waiter].log()
        )
    });
    let log = survivor.log();
    assert!(
        log.contains("resuming the send for this fire"),
        "{name}:\n{log}"
    );
    assert!(
        !log.contains("ERROR"),
        "{name}: a peer holding the lease is no error:\n{log}"
    );

    let messages = server.messages();
    let mut ids: HashMap<&str, HashSet<String>> = HashMap::new();
    for message in &messages {
        let id = message.header("Message-ID").expect("a Message-ID");
        ids.entry(&message.rcpt_to[0]).or_default().insert(id);
    }
    for i in 0..N {
        let got = ids.get(address(i).as_str()).map_or(0, HashSet::len);
        assert_eq!(
            got,
            1,
            "{name}: {} got {got} distinct Message-IDs",
            address(i)
        );
    }
    // Sent again on resume: only what the killed instance had in flight or not yet recorded (see ledger.rs).
    let duplicates = messages.len() - N;
    eprintln!("{name}: killed after {at_kill} messages; {duplicates} sent again on resume");
    assert!(
        duplicates <= CONCURRENCY + MAX_UNCOMMITTED,
        "{name}: {duplicates} duplicates: more than could have been in flight"
    );
    let key = messages[0].header("X-Verdicts-Issue").unwrap();
    assert_eq!(ledger(database, &key).sent, N as u64, "{name}");
    assert_eq!(
        Store::open(database)
            .unwrap()
            .scheduler_last_fire()
            .unwrap(),
        Some(fire),
        "{name}: the survivor recorded the fire"
    );
}

/// The index of the first instance whose log passes `test`, polled for up to `within` (a bound for a loaded
/// machine, not a timing assertion).
async fn wait_for(
    instances: &[Instance],
    within: Duration,
    test: impl Fn(&str) -> bool,
) -> Option<usize> {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if let Some(found) = instances.iter().position(|instance| test(&instance.log())) {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
