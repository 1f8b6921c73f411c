//! What DKIM costs per message on one core, in CPU time (the thread's own, from `/proc/thread-self/schedstat`,
//! so other processes on a shared machine do not inflate it): the sample week's message (about 37 KB) signed
//! with a fresh RSA-2048 key as a whole message (`DkimSigner::sign`: the whole body canonicalised and hashed),
//! and as the sender makes it (`Edition::build`: stamped, the body hash from the issue's template), then with
//! RSA and Ed25519 together. Prints the medians beside `openssl speed -seconds 3 rsa2048`'s CPU time per
//! signature on this machine, which is the floor for RSA.
//!
//! `cargo bench --bench dkim_sign [-- MESSAGES ROUNDS]`; needs the `openssl` command.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use weekly_verdicts::config::{Config, Secrets};
use weekly_verdicts::content::load_dir;
use weekly_verdicts::digest::{Digest, History, Recipient, RenderedIssue, assemble};
use weekly_verdicts::issue::{Addressee, Edition};
use weekly_verdicts::mail::DkimSigner;
use weekly_verdicts::tokens::Tokens;

fn openssl(args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// This thread's CPU time so far, in microseconds (the first field of schedstat is nanoseconds on CPU).
fn thread_cpu_micros() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let nanos: f64 = stat.split_whitespace().next().unwrap().parse().unwrap();
    nanos / 1e3
}

/// For each phase, the median over `rounds` of its CPU time per call over `messages` calls. The phases take
/// turns within each round, so a busy spell on a shared machine weighs on all of them alike.
fn cpu_per_call(messages: usize, rounds: usize, phases: &mut [&mut dyn FnMut(usize)]) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(rounds); phases.len()];
    for _ in 0..rounds {
        for (phase, samples) in phases.iter_mut().zip(&mut samples) {
            let started = thread_cpu_micros();
            for i in 0..messages {
                phase(i);
            }
            samples.push((thread_cpu_micros() - started) / messages as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut per_call| {
            per_call.sort_by(f64::total_cmp);
            per_call[per_call.len() / 2]
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let messages: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);

    let mut config = Config::default();
    let as_of: DateTime<Utc> = "2026-11-22T23:59:59Z".parse().unwrap();
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let week = load_dir(&content, &config.base_url).expect("the sample content is valid");
    let selection = assemble(&week, &History::default(), as_of, config.timezone);
    let issue = RenderedIssue::render(&Digest::new(&selection, &config), &config);
    let token = "0".repeat(44);
    let recipient = Recipient {
        subscriber_id: 1,
        email: "reader@example.org".parse().unwrap(),
        name: None,
        unsubscribe_token: &token,
        preferences_token: None,
    };
    let raw = issue.message(&recipient, as_of).unwrap().formatted();

    let signer = |config: &Config, secrets: &Secrets| {
        DkimSigner::from_config(config, secrets)
            .unwrap()
            .expect("DKIM is configured")
    };
    let mut secrets = Secrets {
        dkim_key: Some(openssl(&["genrsa", "2048"])),
        ..Secrets::default()
    };
    config.dkim_selector = Some("bench".into());
    let rsa = signer(&config, &secrets);
    secrets.dkim_ed25519_key = Some(openssl(&["genpkey", "-algorithm", "ed25519"]));
    config.dkim_ed25519_selector = Some("bench-ed".into());
    let both = signer(&config, &secrets);
    let edition = |dkim: Option<DkimSigner>| {
        Edition::new(
            1,
            issue.clone(),
            as_of,
            Tokens::new(vec![7; 32], Vec::new()),
            dkim.map(Arc::new),
            "digest@verdicts.example.org".parse().unwrap(),
        )
    };
    let (unsigned, stamped_rsa, stamped_both) = (
        edition(None),
        edition(Some(rsa.clone())),
        edition(Some(both.clone())),
    );
    assert!(stamped_rsa.hashes_bodies_from_template());
    let emails: Vec<String> = (0..messages)
        .map(|i| format!("reader{i}@example.org"))
        .collect();
    let build = |edition: &Edition, i: usize| {
        let addressee = Addressee {
            subscriber_id: i as u64 + 1,
            email: &emails[i],
            name: None,
        };
        black_box(edition.build(black_box(addressee)).unwrap());
    };

    let tiny: &[u8] = b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n";
    let medians = cpu_per_call(
        messages,
        rounds,
        &mut [
            &mut |_| {
                black_box(rsa.sign(black_box(tiny)).unwrap());
            },
            &mut |_| {
                black_box(rsa.sign(black_box(&raw)).unwrap());
            },
            &mut |i| build(&unsigned, i),
            &mut |i| build(&stamped_rsa, i),
            &mut |i| build(&stamped_both, i),
        ],
    );
    let [signature, whole, stamp_only, stamped, stamped_both] = medians[..] else {
        unreachable!("five phases")
    };
    // openssl speed divides by the CPU time its process got: like for like with the figures above.
    let openssl_micros = openssl(&["speed", "-seconds", "3", "rsa2048"])
        .lines()
        .find(|l| l.starts_with("rsa 2048 bits"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|s| s.trim_end_matches('s').parse::<f64>().ok())
        .map_or(f64::NAN, |s| s * 1e6);
    println!(
        "dkim_sign: {} byte message, {messages} messages x {rounds} rounds, one core, CPU time per message (median)",
        raw.len()
    );
    println!("RSA-2048 over a 40-byte message (the signature alone): {signature:.0} µs");
    println!(
        "RSA-2048 over the whole message (sign: body canonicalised and hashed): {whole:.0} µs"
    );
    println!("stamping a message, unsigned (Edition::build): {stamp_only:.0} µs");
    println!(
        "stamping and RSA-2048 (Edition::build, body hash from the template): {stamped:.0} µs"
    );
    println!("stamping, RSA-2048 and Ed25519: {stamped_both:.0} µs");
    println!(
        "openssl speed rsa2048: {openssl_micros:.0} µs per signature (CPU time); signature alone / openssl = {:.2}; stamped RSA message / openssl = {:.2}",
        signature / openssl_micros,
        stamped / openssl_micros
    );
}
