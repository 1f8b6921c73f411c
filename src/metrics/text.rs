//! The Prometheus text exposition format (version 0.0.4), the part this program writes: `# HELP` and `# TYPE`
//! once per metric, then one `name{label="value"} number` line per series, with label values and help texts
//! escaped as the format says.

use std::fmt::{Display, Write};

/// A metric's type line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
}

/// A page being written.
#[derive(Debug, Default)]
pub struct Page {
    out: String,
}

impl Page {
    /// Starts metric `name`: its help and type lines.
    pub fn metric(&mut self, name: &str, kind: Kind, help: &str) {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One series of the metric just started.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{label}=\"{}\"", escape_label_value(value));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value: backslash, double quote and line feed escaped.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A help text: backslash and line feed escaped (a quote needs none there).
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::{Kind, Page, escape_label_value};

    #[test]
    fn a_metric_is_its_help_and_type_lines_then_one_line_per_series() {
        let mut page = Page::default();
        page.metric(
            "verdicts_things",
            Kind::Gauge,
            "Things by state.\nSecond line \\ here",
        );
        page.sample(
            "verdicts_things",
            &[("state", "a"), ("issue", "2026-W47")],
            3,
        );
        page.sample("verdicts_things", &[], 0);
        assert_eq!(
            page.finish(),
            "# HELP verdicts_things Things by state.\\nSecond line \\\\ here\n\
             # TYPE verdicts_things gauge\n\
             verdicts_things{state=\"a\",issue=\"2026-W47\"} 3\n\
             verdicts_things 0\n"
        );
    }

    #[test]
    fn label_values_escape_backslashes_quotes_and_line_feeds() {
        assert_eq!(
            escape_label_value("a\\b\"c\nd"),
            "a\\\\b\\\"c\\nd",
            "one backslash, one quote, one line feed"
        );
        assert_eq!(escape_label_value("/confirm/{token}"), "/confirm/{token}");
    }
}
