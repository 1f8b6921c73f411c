//! Amazon SES's bounce and complaint notifications (the `Message` of an SNS notification, itself JSON): which
//! recipients bounced, permanently or not, and who complained. Both the notification form (`notificationType`) and
//! the event-publishing form (`eventType`) are read. Pure.

use serde::Deserialize;

use crate::store::BounceKind;
use crate::web::webhooks::event::{Parsed, ProviderEvent, reason};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    #[serde(default)]
    notification_type: Option<String>,
    #[serde(default)]
    event_type: Option<String>,
    #[serde(default)]
    bounce: Option<Bounce>,
    #[serde(default)]
    complaint: Option<Complaint>,
    #[serde(default)]
    mail: Option<Mail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: Option<String>,
    bounced_recipients: Vec<BouncedRecipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BouncedRecipient {
    email_address: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    diagnostic_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<ComplainedRecipient>,
    #[serde(default)]
    complaint_feedback_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ComplainedRecipient {
    email_address: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    #[serde(default)]
    common_headers: Option<CommonHeaders>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommonHeaders {
    #[serde(default)]
    message_id: Option<String>,
}

/// Transient bounces that are about the message, not the mailbox: like a refused relay, they bounce nobody.
const ABOUT_THE_MESSAGE: &[&str] = &["MessageTooLarge", "ContentRejected", "AttachmentRejected"];

/// The events of one SES notification; an error names what is malformed.
pub fn parse(message: &str) -> Result<Parsed, String> {
    let notification: Notification = serde_json::from_str(message)
        .map_err(|e| format!("the SES notification in Message is not valid: {e}"))?;
    let kind = notification
        .notification_type
        .or(notification.event_type)
        .unwrap_or_default();
    let message_id = notification
        .mail
        .and_then(|mail| mail.common_headers)
        .and_then(|headers| headers.message_id);
    match kind.as_str() {
        "Bounce" => {
            let bounce = notification
                .bounce
                .ok_or("a Bounce notification without its \"bounce\" object")?;
            let sub_type = bounce.bounce_sub_type.unwrap_or_default();
            let kind = match bounce.bounce_type.as_str() {
                "Permanent" => BounceKind::Hard,
                "Transient" if ABOUT_THE_MESSAGE.contains(&sub_type.as_str()) => {
                    return Ok(Parsed::Ignored(format!(
                        "SES Transient/{sub_type} bounce is about the message, not the mailbox"
                    )));
                }
                "Transient" => BounceKind::Soft,
                other => {
                    return Ok(Parsed::Ignored(format!(
                        "SES {other} bounce: SES could not tell why"
                    )));
                }
            };
            let label = format!("SES {}/{sub_type} bounce", bounce.bounce_type);
            let events = bounce
                .bounced_recipients
                .into_iter()
                .map(|recipient| ProviderEvent {
                    reason: reason(&[
                        &label,
                        recipient.status.as_deref().unwrap_or(""),
                        recipient.diagnostic_code.as_deref().unwrap_or(""),
                    ]),
                    recipient: recipient.email_address,
                    kind,
                    message_id: message_id.clone(),
                })
                .collect();
            Ok(Parsed::Events(events))
        }
        "Complaint" => {
            let complaint = notification
                .complaint
                .ok_or("a Complaint notification without its \"complaint\" object")?;
            let feedback = complaint.complaint_feedback_type.unwrap_or_default();
            if feedback == "not-spam" {
                return Ok(Parsed::Ignored(
                    "SES complaint of type not-spam: the reader marked it as wanted".into(),
                ));
            }
            let label = reason(&["SES complaint", &feedback]);
            let events = complaint
                .complained_recipients
                .into_iter()
                .map(|recipient| ProviderEvent {
                    recipient: recipient.email_address,
                    kind: BounceKind::Complaint,
                    reason: label.clone(),
                    message_id: message_id.clone(),
                })
                .collect();
            Ok(Parsed::Events(events))
        }
        "" => Err("the SES notification has neither notificationType nor eventType".into()),
        other => Ok(Parsed::Ignored(format!("SES {other} notification"))),
    }
}

#[cfg(test)]
mod tests;
