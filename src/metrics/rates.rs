//! Bounce and complaint rates per issue, and how loudly `verdicts status` warns about complaints. Gmail and Yahoo
//! ask bulk senders to keep the complaint rate (complaints over messages delivered) under 0.3%, and advise
//! staying under 0.1%: above 0.1% `status` warns, at 0.3% it warns loudly.

use serde::Serialize;

use crate::store::ReportCounts;

/// Above this complaint rate, a warning.
pub const COMPLAINT_WARN: f64 = 0.001;
/// At or above this one, the loud warning: the limit Gmail and Yahoo set for bulk senders.
pub const COMPLAINT_ALARM: f64 = 0.003;

/// An issue's bounce and complaint reports, and their rates over the messages the relay accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct IssueReports {
    /// Readers whose message hard-bounced after the relay accepted it.
    pub hard: u64,
    /// Readers whose message soft-bounced (counted towards `soft_bounce_limit`).
    pub soft: u64,
    /// Readers who marked the issue as spam.
    pub complaints: u64,
    /// `hard / sent`; `None` before anything was sent.
    pub bounce_rate: Option<f64>,
    /// `complaints / sent`; `None` before anything was sent.
    pub complaint_rate: Option<f64>,
}

impl IssueReports {
    pub fn new(counts: ReportCounts, sent: u64) -> IssueReports {
        let rate = |n: u64| (sent > 0).then(|| n as f64 / sent as f64);
        IssueReports {
            hard: counts.hard,
            soft: counts.soft,
            complaints: counts.complaints,
            bounce_rate: rate(counts.hard),
            complaint_rate: rate(counts.complaints),
        }
    }
}

/// How a complaint rate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplaintLevel {
    Fine,
    /// Above 0.1%.
    Warn,
    /// At or above 0.3%.
    Alarm,
}

pub fn complaint_level(rate: f64) -> ComplaintLevel {
    if rate >= COMPLAINT_ALARM {
        ComplaintLevel::Alarm
    } else if rate > COMPLAINT_WARN {
        ComplaintLevel::Warn
    } else {
        ComplaintLevel::Fine
    }
}

/// A rate as `status` shows it: a percentage with two decimals, `-` before anything was sent.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(rate) => format!("{:.2}%", rate * 100.0),
        None => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{ComplaintLevel, IssueReports, complaint_level, percent};
    use crate::store::ReportCounts;

    #[test]
    fn complaints_warn_above_a_tenth_of_a_percent_and_alarm_from_three_tenths() {
        let level = |complaints, sent| {
            let reports = IssueReports::new(
                ReportCounts {
                    complaints,
                    ..ReportCounts::default()
                },
                sent,
            );
            complaint_level(reports.complaint_rate.unwrap())
        };
        assert_eq!(level(1, 1000), ComplaintLevel::Fine);
        assert_eq!(level(2, 1000), ComplaintLevel::Warn);
        assert_eq!(level(29, 10_000), ComplaintLevel::Warn);
        assert_eq!(level(3, 1000), ComplaintLevel::Alarm);
        assert_eq!(
            IssueReports::new(ReportCounts::default(), 0).complaint_rate,
            None
        );
        assert_eq!(percent(Some(0.0015)), "0.15%");
        assert_eq!(percent(None), "-");
    }
}
