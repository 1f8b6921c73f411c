//! What DKIM costs per message on one core: the sample week's message (about 38 KB) is signed N times with a
//! fresh RSA-2048 key, then with RSA and Ed25519 together (body hash, header canonicalisation and the
//! signatures). Prints the median per message beside `openssl speed -seconds 3 rsa2048`'s time per signature
//! on this machine, which is the floor for RSA, per CPU second and (`-elapsed`) per wall second.
//!
//! `cargo bench --bench dkim_sign [-- MESSAGES ROUNDS]`; needs the `openssl` command.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Utc};
use weekly_verdicts::config::{Config, Secrets};
use weekly_verdicts::content::load_dir;
use weekly_verdicts::digest::{Digest, History, Recipient, RenderedIssue, assemble};
use weekly_verdicts::mail::DkimSigner;

fn openssl(args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?}");
    String::from_utf8(output.stdout).unwrap()
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

    let rsa_only = |config: &Config, secrets: &Secrets| {
        DkimSigner::from_config(config, secrets)
            .unwrap()
            .expect("DKIM is configured")
    };
    let mut secrets = Secrets {
        dkim_key: Some(openssl(&["genrsa", "2048"])),
        ..Secrets::default()
    };
    config.dkim_selector = Some("bench".into());
    let rsa = rsa_only(&config, &secrets);
    secrets.dkim_ed25519_key = Some(openssl(&["genpkey", "-algorithm", "ed25519"]));
    config.dkim_ed25519_selector = Some("bench-ed".into());
    let both = rsa_only(&config, &secrets);

    let time = |signer: &DkimSigner| {
        let mut per_message: Vec<f64> = (0..rounds)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..messages {
                    black_box(signer.sign(black_box(&raw)).unwrap());
                }
                started.elapsed().as_secs_f64() * 1e6 / messages as f64
            })
            .collect();
        per_message.sort_by(f64::total_cmp);
        per_message[per_message.len() / 2]
    };
    let rsa_micros = time(&rsa);
    let tiny: &[u8] = b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n";
    let tiny_micros = {
        let started = Instant::now();
        for _ in 0..messages {
            black_box(rsa.sign(black_box(tiny)).unwrap());
        }
        started.elapsed().as_secs_f64() * 1e6 / messages as f64
    };
    let both_micros = time(&both);
    // openssl speed divides by its CPU time by default; -elapsed divides by wall time, as the timings above do,
    // so on a busy machine the second is the like-for-like floor. Both are printed.
    let per_signature = |speed: String| {
        speed
            .lines()
            .find(|l| l.starts_with("rsa 2048 bits"))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|s| s.trim_end_matches('s').parse::<f64>().ok())
            .map_or(f64::NAN, |s| s * 1e6)
    };
    let openssl_micros = per_signature(openssl(&["speed", "-seconds", "3", "rsa2048"]));
    let openssl_wall_micros =
        per_signature(openssl(&["speed", "-elapsed", "-seconds", "3", "rsa2048"]));
    println!(
        "dkim_sign: {} byte message, {messages} signatures x {rounds} rounds, one core",
        raw.len()
    );
    println!("RSA-2048: median {rsa_micros:.0} µs per message");
    println!("RSA-2048 over a 40-byte message (the signature alone): {tiny_micros:.0} µs");
    println!("RSA-2048 + Ed25519: median {both_micros:.0} µs per message");
    println!(
        "openssl speed rsa2048: {openssl_micros:.0} µs per signature (CPU time); RSA message / openssl signature = {:.2}",
        rsa_micros / openssl_micros
    );
    println!(
        "openssl speed -elapsed rsa2048: {openssl_wall_micros:.0} µs per signature (wall time); RSA message / openssl signature = {:.2}",
        rsa_micros / openssl_wall_micros
    );
}
