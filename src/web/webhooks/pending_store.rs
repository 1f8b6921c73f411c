//! TEMPORARY stand-in for bounces-core's `store: bounce reports` API (PLAN.md), removed at the merge.

use anyhow::Result;
use chrono::{DateTime, Utc};

pub use crate::web::webhooks::event::BounceKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportSource {
    Postmark,
    Mailgun,
    Ses,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceReport {
    pub subscriber_id: u64,
    pub issue_id: Option<i64>,
    pub kind: BounceKind,
    pub reason: String,
    pub source: ReportSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(dead_code)]
pub enum ReportOutcome {
    Bounced,
}

pub trait RecordBounceReport {
    fn record_bounce_report(
        &mut self,
        report: &BounceReport,
        now: DateTime<Utc>,
    ) -> Result<ReportOutcome>;
}

impl RecordBounceReport for crate::store::Store {
    fn record_bounce_report(
        &mut self,
        _report: &BounceReport,
        _now: DateTime<Utc>,
    ) -> Result<ReportOutcome> {
        anyhow::bail!("not wired yet")
    }
}
