//! The `ses_topic_arns` setting: the Amazon SNS topics whose notifications `POST /webhooks/ses` takes. Written as a
//! TOML list of ARNs, or as one comma-separated string (the form `VERDICTS_SES_TOPIC_ARNS` takes). Empty (the
//! default): any topic, as long as the signature verifies.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ArnList", into = "Vec<String>")]
pub struct TopicArns(Vec<String>);

/// What the file or the environment may hold.
#[derive(Deserialize)]
#[serde(untagged)]
enum ArnList {
    List(Vec<String>),
    Text(String),
}

impl TopicArns {
    /// Parses SNS topic ARNs (`arn:aws:sns:REGION:ACCOUNT:NAME`); an entry that is not one is an error naming it.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<TopicArns, String> {
        let mut arns = Vec::new();
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            let parts: Vec<&str> = entry.split(':').collect();
            let is_topic = parts.len() == 6
                && parts[0] == "arn"
                && parts[1].starts_with("aws")
                && parts[2] == "sns"
                && parts[3..].iter().all(|part| !part.is_empty());
            if !is_topic {
                return Err(format!(
                    "ses_topic_arns: {entry:?} is not an SNS topic ARN (e.g. arn:aws:sns:eu-west-1:123456789012:ses-bounces)"
                ));
            }
            arns.push(entry.to_owned());
        }
        Ok(TopicArns(arns))
    }

    /// Whether notifications of `topic` are taken: any topic when the list is empty.
    pub fn allows(&self, topic: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|arn| arn == topic)
    }
}

impl TryFrom<ArnList> for TopicArns {
    type Error = String;
    fn try_from(value: ArnList) -> Result<Self, Self::Error> {
        match &value {
            ArnList::List(entries) => TopicArns::parse(entries.iter().map(String::as_str)),
            ArnList::Text(text) => TopicArns::parse(text.split(',')),
        }
    }
}

impl From<TopicArns> for Vec<String> {
    fn from(arns: TopicArns) -> Vec<String> {
        arns.0
    }
}

#[cfg(test)]
mod tests {
    use super::TopicArns;

    #[test]
    fn an_empty_list_allows_any_topic_and_a_list_only_its_own() {
        assert!(TopicArns::default().allows("arn:aws:sns:us-east-1:1:x"));
        let arns = TopicArns::parse([" arn:aws:sns:eu-west-1:123456789012:bounces "]).unwrap();
        assert!(arns.allows("arn:aws:sns:eu-west-1:123456789012:bounces"));
        assert!(!arns.allows("arn:aws:sns:eu-west-1:123456789012:other"));
    }

    #[test]
    fn an_entry_that_is_no_topic_arn_is_refused_by_name() {
        let err = TopicArns::parse(["arn:aws:sqs:eu-west-1:1:queue"]).unwrap_err();
        assert!(err.contains("\"arn:aws:sqs:eu-west-1:1:queue\""), "{err}");
        assert!(TopicArns::parse(["bounces"]).is_err());
    }
}
