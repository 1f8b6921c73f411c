//! CHUNKING (RFC 3030): where the relay offers it with PIPELINING, each message goes out as `BDAT <size> LAST`
//! in the same write as MAIL and RCPT, unstuffed; the relay gets the exact bytes the DKIM signature covers.
//! (The relay's faults under BDAT are in `faults.rs`, each run with DATA and with BDAT; a real Postfix offers
//! CHUNKING, so the Postfix interop suite speaks BDAT too.)

use std::time::Duration;

use weekly_verdicts::config::Secrets;
use weekly_verdicts::delivery::SendOptions;
use weekly_verdicts::mail::Timeouts;

use super::{Fixture, as_of};
use crate::support::dkim::{dkimpy, rsa_key};
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_goes_as_one_bdat_chunk_of_its_exact_size_and_its_dkim_signature_verifies() {
    let server = SmtpServer::start(Script::accept_all().chunking()).await;
    let key = rsa_key(false);
    let fixture = Fixture::new(
        Some(&server.url()),
        &[
            ("VERDICTS_DKIM_SELECTOR", "sel"),
            ("VERDICTS_CONCURRENCY", "2"),
        ],
    );
    fixture.seed(4);
    let secrets = Secrets {
        dkim_key: Some(key.pem.clone()),
        ..Secrets::default()
    };
    super::send_job(&fixture.config, &secrets, as_of(), fixture.options())
        .await
        .unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 4);
    let sizes: Vec<usize> = server
        .commands()
        .iter()
        .filter_map(|(_, command)| command.strip_prefix("BDAT "))
        .map(|rest| {
            let (size, last) = rest.split_once(' ').expect("BDAT size LAST");
            assert_eq!(last, "LAST", "one chunk per message");
            size.parse().unwrap()
        })
        .collect();
    let mut received: Vec<usize> = messages.iter().map(|m| m.data.len()).collect();
    let mut announced = sizes.clone();
    received.sort();
    announced.sort();
    assert_eq!(
        announced, received,
        "each chunk's size is its message's length"
    );
    for message in &messages {
        assert_eq!(dkimpy(&message.data, &[("sel", &key.record)]), [true]);
    }
}

/// A relay that goes silent after MAIL, RCPT and BDAT went out in one write (at RCPT, or after the chunk) and
/// then drops the line: the reply times out, and the message goes out once more on a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_silent_after_a_bdat_write_times_out_and_the_message_goes_out_once_on_a_new_connection()
 {
    for stage in [Stage::Rcpt, Stage::DataEnd] {
        let slow = super::address(5);
        let server = SmtpServer::start(
            Script::accept_all().chunking().rule(
                Rule::at(stage)
                    .for_recipient(&slow)
                    .stall_then_drop(Duration::from_secs(30))
                    .times(1),
            ),
        )
        .await;
        let fixture = Fixture::new(Some(&server.url()), &[("VERDICTS_CONCURRENCY", "2")]);
        fixture.seed(8);
        let options = SendOptions {
            timeouts: Timeouts {
                connect: Duration::from_secs(10),
                command: Duration::from_millis(500),
            },
            ..fixture.options()
        };
        fixture.send(options).await;

        let rows = super::assert_all_final(&fixture, 8);
        assert!(
            rows.iter().all(|r| r.state == "sent"),
            "{stage:?}: {rows:?}"
        );
        let to_slow = server
            .messages()
            .iter()
            .filter(|m| m.rcpt_to == [slow.clone()])
            .count();
        assert_eq!(to_slow, 1, "{stage:?}");
        assert_eq!(server.messages().len(), 8, "{stage:?}");
        assert!(server.connections() >= 3, "{stage:?}: a new connection");
    }
}
