use super::{NewSubscriber, SubscribeForm, origin_of};
use crate::content::KnownCategories;
use crate::web::WebError;
use crate::web::categories::known_of;

fn form(email: &str, name: Option<&str>) -> SubscribeForm {
    SubscribeForm {
        email: email.to_owned(),
        name: name.map(str::to_owned),
        website: None,
        categories: Vec::new(),
    }
}

impl TryFrom<SubscribeForm> for NewSubscriber {
    type Error = WebError;

    fn try_from(form: SubscribeForm) -> Result<NewSubscriber, WebError> {
        NewSubscriber::parse(form, "categories", &KnownCategories::default())
    }
}

#[test]
fn the_forms_ticked_boxes_repeat_the_category_field_and_a_repeated_address_is_refused() {
    let form = SubscribeForm::from_urlencoded(
        b"email=ann%40example.org&name=Ann+L&website=&category=Search&category=voice&extra=1",
    )
    .unwrap();
    assert_eq!(form.email, "ann@example.org");
    assert_eq!(form.name.as_deref(), Some("Ann L"));
    assert_eq!(form.categories, ["Search", "voice"]);
    let new =
        NewSubscriber::parse(form, "category", &known_of(&["Search", "Voice", "Design"])).unwrap();
    assert_eq!(
        new.categories.names().collect::<Vec<_>>(),
        ["Search", "Voice"]
    );

    let twice =
        SubscribeForm::from_urlencoded(b"email=a%40example.org&email=b%40example.org").unwrap_err();
    assert_eq!(twice.to_string(), "email: sent more than once");
}

#[test]
fn unknown_categories_are_refused_naming_them_and_the_known_ones() {
    let mut json = form("ann@example.org", None);
    json.categories = vec!["Serch".into(), "Voice".into(), "Vidéo".into()];
    let error =
        NewSubscriber::parse(json, "categories", &known_of(&["Search", "Voice"])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "categories: unknown categories \"Serch\", \"Vidéo\": the content has Search, Voice"
    );
    assert_eq!(error.status(), 400);
}

#[test]
fn a_good_form_becomes_a_new_subscriber_and_a_blank_name_is_none() {
    let new = NewSubscriber::try_from(form(" Ann@Example.ORG ", Some("  "))).unwrap();
    assert_eq!(new.email.as_str(), "Ann@example.org");
    assert_eq!(new.name, None);
}

#[test]
fn header_injection_in_address_or_name_is_refused() {
    for (email, name) in [
        ("ann@example.org\r\nBcc: all@example.org", None),
        ("ann@example.org", Some("Ann\r\nBcc: all@example.org")),
        ("ann\u{2028}x@example.org", None),
    ] {
        let err = NewSubscriber::try_from(form(email, name)).unwrap_err();
        assert!(
            matches!(err, WebError::InvalidAddress(_) | WebError::InvalidName(_)),
            "{err:?}"
        );
    }
}

#[test]
fn the_honeypot_marks_a_bot_only_when_filled_in() {
    let mut bot = form("a@example.org", None);
    assert!(!bot.is_bot());
    bot.website = Some(String::new());
    assert!(!bot.is_bot());
    bot.website = Some("http://spam.example".into());
    assert!(bot.is_bot());
}

#[test]
fn origins_are_scheme_host_and_port() {
    assert_eq!(
        origin_of("https://pub.example.org/thanks?x=1"),
        Some("https://pub.example.org")
    );
    assert_eq!(
        origin_of("http://127.0.0.1:8080"),
        Some("http://127.0.0.1:8080")
    );
    assert_eq!(origin_of("javascript://x"), None);
    assert_eq!(origin_of("/thanks"), None);
}
