//! `verdicts status`: whether a send is running, and every issue with its delivery ledger counted by state;
//! the bounce and complaint rates reported after the send, with a warning when complaints pass 0.1% and a louder
//! one at 0.3%; `--json` prints the store snapshot `/metrics` is made from (subscribers by state too) as one JSON document.

use std::collections::HashMap;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::exit::ExitStatus;
use crate::lease::SEND_LEASE;
use crate::metrics::rates::{ComplaintLevel, IssueReports, complaint_level, percent};
use crate::metrics::snapshot;
use crate::store::{ReportCounts, Store};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print subscribers by state, every issue with its ledger counts and the send lease as one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: &Config, args: StatusArgs) -> Result<ExitStatus> {
    let store = Store::open_existing(&config.database)?;
    if args.json {
        let snapshot = snapshot::read(&store, crate::clock::now(), snapshot::Issues::All)?;
        let json = serde_json::to_string_pretty(&snapshot).context("writing the status as JSON")?;
        println!("{json}");
        return Ok(ExitStatus::Success);
    }
    if let Some((owner, until)) = store.lease_holder(SEND_LEASE, crate::clock::now())? {
        println!(
            "a send is running: {owner} holds the send lease (renewed until {})",
            until.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    let issues = store.delivery_counts()?;
    let reports: HashMap<String, ReportCounts> = store.report_counts()?.into_iter().collect();
    if issues.is_empty() {
        println!("no issues yet: `verdicts send` creates the week's issue");
        return Ok(ExitStatus::Success);
    }
    println!(
        "{:<9} {:<17} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>10}  state",
        "issue",
        "created (UTC)",
        "sent",
        "deferred",
        "failed",
        "skipped",
        "pending",
        "bounces",
        "complaints"
    );
    let mut warnings = Vec::new();
    for issue in issues {
        let c = issue.counts;
        let r = IssueReports::new(reports.get(&issue.key).copied().unwrap_or_default(), c.sent);
        if let Some(rate) = r.complaint_rate {
            let shown = percent(Some(rate));
            match complaint_level(rate) {
                ComplaintLevel::Fine => {}
                ComplaintLevel::Warn => warnings.push(format!(
                    "warning: {}: {} complaints of {} sent ({shown}) is above 0.1%; keep it below: \
                     Gmail and Yahoo filter senders past 0.3%",
                    issue.key, r.complaints, c.sent
                )),
                ComplaintLevel::Alarm => warnings.push(format!(
                    "WARNING: {}: {} complaints of {} sent ({shown}) is at or above 0.3%, the most Gmail and \
                     Yahoo accept from bulk senders: mail to them is going to spam or being refused. Look at \
                     what the readers who complained signed up for and what this issue sent them",
                    issue.key, r.complaints, c.sent
                )),
            }
        }
        let state = match (issue.completed_at, &issue.paused, issue.next_attempt_at) {
            (Some(done), _, _) => format!("delivered {}", done.format("%Y-%m-%d %H:%M")),
            (None, Some((at, reason)), _) => format!(
                "paused {}: {reason} — fix the relay, then `verdicts send` resumes it",
                at.format("%Y-%m-%d %H:%M")
            ),
            (None, None, Some(next)) if c.pending == 0 => {
                format!("waiting to retry at {}", next.format("%Y-%m-%d %H:%M"))
            }
            (None, None, _) => "in progress: `verdicts send` resumes it".to_string(),
        };
        let state = match c.skipped_by.words() {
            Some(why) => format!("{state}; skipped: {why}"),
            None => state,
        };
        println!(
            "{:<9} {:<17} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>10}  {state}",
            issue.key,
            issue.created_at.format("%Y-%m-%d %H:%M"),
            c.sent,
            c.deferred,
            c.failed,
            c.skipped,
            c.pending,
            percent(r.bounce_rate),
            percent(r.complaint_rate)
        );
    }
    for warning in warnings {
        println!("{warning}");
    }
    Ok(ExitStatus::Success)
}
