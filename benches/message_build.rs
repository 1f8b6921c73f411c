//! What one subscriber's message costs: a 10-comparison issue is rendered once, then N messages
//! are built from it (`RenderedIssue::message` + `Message::formatted`, the bytes handed to SMTP)
//! over several rounds. Prints the median time per message, the HTML size and the .eml size.
//! Targets: at most 20 µs per message; HTML under 90 KB (Gmail clips at about 102 KB).
//!
//! `cargo bench --bench message_build [-- MESSAGES ROUNDS]`

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use lettre::Address;
use weekly_verdicts::config::Config;
use weekly_verdicts::content::{Comparison, load_dir};
use weekly_verdicts::digest::{Digest, History, Recipient, RenderedIssue, assemble};

const COMPARISONS: usize = 10;
const TARGET_MICROS: f64 = 20.0;
const HTML_LIMIT: usize = 90 * 1024;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let messages: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(9);

    let config = Config::default();
    let as_of: DateTime<Utc> = "2026-11-22T23:59:59Z".parse().unwrap();
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let sample = load_dir(&content, &config.base_url).expect("the sample content is valid");
    // Ten comparisons in one week: the sample ones in turn, re-dated, titles kept unique.
    let week: Vec<Comparison> = (0..COMPARISONS)
        .map(|i| {
            let mut c = sample[i % sample.len()].clone();
            c.slug = format!("{}-{i}", c.slug);
            if i >= sample.len() {
                c.title = format!("{}, round {}", c.title, i / sample.len() + 1);
            }
            c.published = (as_of - Duration::hours(6 * (i as i64 + 1))).fixed_offset();
            c
        })
        .collect();

    let started = Instant::now();
    let selection = assemble(&week, &History::default(), as_of, config.timezone);
    assert_eq!(selection.comparisons.len(), COMPARISONS);
    let digest = Digest::new(&selection, &config);
    let issue = RenderedIssue::render(&digest, &config);
    let render_time = started.elapsed();

    let addresses: Vec<Address> = (0..messages)
        .map(|i| format!("reader{i}@example.org").parse().unwrap())
        .collect();
    let tokens: Vec<String> = (0..messages).map(|i| format!("{i:0>44}")).collect();
    let recipients: Vec<Recipient> = (0..messages)
        .map(|i| Recipient {
            subscriber_id: i as u64,
            email: addresses[i].clone(),
            name: None,
            unsubscribe_token: &tokens[i],
        })
        .collect();

    let eml_size = issue
        .message(&recipients[0], as_of)
        .unwrap()
        .formatted()
        .len();
    let mut per_message: Vec<f64> = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let mut bytes = 0usize;
        for recipient in &recipients {
            let message = issue.message(black_box(recipient), as_of).unwrap();
            bytes += black_box(message.formatted()).len();
        }
        black_box(bytes);
        per_message.push(started.elapsed().as_secs_f64() * 1e6 / messages as f64);
    }
    per_message.sort_by(f64::total_cmp);
    let median = per_message[per_message.len() / 2];

    let kb = |n: usize| n as f64 / 1024.0;
    println!(
        "message_build: {COMPARISONS} comparisons, HTML {:.1} KB ({} bytes), text {:.1} KB, .eml {:.1} KB ({eml_size} bytes)",
        kb(issue.html.len()),
        issue.html.len(),
        kb(issue.text.len()),
        kb(eml_size),
    );
    println!("rendered once in {:.2} ms", render_time.as_secs_f64() * 1e3);
    println!(
        "built {messages} messages x {rounds} rounds: median {median:.2} µs per message (min {:.2}, max {:.2})",
        per_message[0],
        per_message[per_message.len() - 1],
    );
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "targets: <= {TARGET_MICROS} µs per message: {}; HTML < 90 KB: {}",
        verdict(median <= TARGET_MICROS),
        verdict(issue.html.len() < HTML_LIMIT),
    );
    if issue.html.len() >= HTML_LIMIT {
        std::process::exit(1);
    }
}
