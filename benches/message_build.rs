//! What one subscriber's message costs: a 10-comparison issue is rendered once, then N messages
//! are built from it (`RenderedIssue::message` + `Message::formatted`, the bytes handed to SMTP)
//! over several rounds. Prints the median time per message, the HTML size and the .eml size.
//! Then editions: the week's 10 comparisons span 8 categories, 100k readers follow 64 distinct
//! category sets (one of them everything); each edition is rendered once into the `Editions` cache
//! (timed: all 64), and each reader's message is looked up and stamped from it as the sender does
//! (`Editions::get` + `Edition::build`, links signed, no DKIM). Prints the median per reader.
//! Last, what a VERP return path (`bounce_address`) adds per message.
//! Targets: at most 20 µs per message; HTML under 90 KB (Gmail clips at about 102 KB).
//!
//! `cargo bench --bench message_build [-- MESSAGES ROUNDS READERS]`

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use lettre::Address;
use weekly_verdicts::config::Config;
use weekly_verdicts::content::{Categories, Comparison, KnownCategories, load_dir};
use weekly_verdicts::digest::{Digest, History, Recipient, RenderedIssue, Selection, assemble};
use weekly_verdicts::issue::{Addressee, EditionMessages, Editions, EditionsOptions};
use weekly_verdicts::tokens::Tokens;
use weekly_verdicts::tokens::verp::ReturnPaths;

const COMPARISONS: usize = 10;
const TARGET_MICROS: f64 = 20.0;
const HTML_LIMIT: usize = 90 * 1024;
const EDITIONS: usize = 64;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let messages: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(9);
    let readers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);

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
            preferences_token: None,
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
    let editions_median = editions(&selection, &config, as_of, readers, rounds);
    println!(
        "targets: <= {TARGET_MICROS} µs per reader with editions: {}",
        verdict(editions_median <= TARGET_MICROS),
    );
    return_paths(readers, rounds);
    if issue.html.len() >= HTML_LIMIT {
        std::process::exit(1);
    }
}

/// What `bounce_address` adds to each message: its VERP envelope sender (a keyed HMAC, base32, the address).
fn return_paths(readers: usize, rounds: usize) {
    let tokens = Tokens::new(vec![7; 32], Vec::new());
    let bounce: Address = "bounces@news.example.org".parse().unwrap();
    let paths = ReturnPaths::new(&bounce, &tokens);
    let mut per_reader = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        for id in 0..readers as u64 {
            black_box(paths.sender(black_box(id + 100_000), black_box(42)));
        }
        per_reader.push(started.elapsed().as_secs_f64() * 1e6 / readers as f64);
    }
    per_reader.sort_by(f64::total_cmp);
    println!(
        "VERP return path ({}) x {readers} readers x {rounds} rounds: median {:.3} µs per message",
        paths.sender(123_456, 42),
        per_reader[per_reader.len() / 2]
    );
}

/// 64 editions among `readers`: renders them all once (timed), then builds every reader's message from the
/// cache per round. Returns the median µs per reader.
fn editions(
    selection: &Selection,
    config: &Config,
    as_of: DateTime<Utc>,
    readers: usize,
    rounds: usize,
) -> f64 {
    let week: Vec<Comparison> = selection.comparisons.iter().map(|c| (*c).clone()).collect();
    let known = KnownCategories::of(&week);
    let names: Vec<String> = known.iter().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 8, "the sample week spans 8 categories");
    // Edition 0 is everything; the others are 63 distinct non-empty subsets of the 8 (37 is prime to 255).
    let choices: Vec<Categories> = (0..EDITIONS)
        .map(|k| match k {
            0 => Categories::everything(),
            k => {
                let mask = (k * 37) % 255 + 1;
                let chosen: Vec<&str> = (0..8)
                    .filter(|bit| mask & (1 << bit) != 0)
                    .map(|bit| names[bit].as_str())
                    .collect();
                Categories::parse(&chosen.join(","), &known).unwrap()
            }
        })
        .collect();
    let options = EditionsOptions {
        issue_id: 1,
        composed_at: as_of,
        tokens: Tokens::new(vec![7; 32], Vec::new()),
        dkim: None,
        sender: "bounces@example.org".parse().unwrap(),
        return_paths: None,
    };

    let started = Instant::now();
    let editions = Editions::new(selection, config, options);
    editions.render_all(&choices);
    let render_all = started.elapsed();
    assert_eq!(editions.rendered(), EDITIONS, "64 distinct editions");

    let emails: Vec<String> = (0..readers)
        .map(|i| format!("reader{i}@example.org"))
        .collect();
    let mut per_reader: Vec<f64> = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let mut bytes = 0usize;
        for (i, email) in emails.iter().enumerate() {
            let edition = editions.get(black_box(&choices[i % EDITIONS]));
            let EditionMessages::Ready(edition) = &*edition else {
                panic!("every edition has something new");
            };
            let built = edition
                .build(Addressee {
                    subscriber_id: i as u64,
                    email,
                    name: None,
                })
                .unwrap();
            bytes += black_box(built.raw).len();
        }
        black_box(bytes);
        per_reader.push(started.elapsed().as_secs_f64() * 1e6 / readers as f64);
    }
    per_reader.sort_by(f64::total_cmp);
    let median = per_reader[per_reader.len() / 2];
    println!(
        "editions: {EDITIONS} distinct among {readers} readers (8 categories): all rendered in {:.1} ms ({:.2} ms each)",
        render_all.as_secs_f64() * 1e3,
        render_all.as_secs_f64() * 1e3 / EDITIONS as f64,
    );
    println!(
        "built {readers} readers' messages x {rounds} rounds from the cache: median {median:.2} µs per reader (min {:.2}, max {:.2})",
        per_reader[0],
        per_reader[per_reader.len() - 1],
    );
    median
}
