//! Stamped messages are signed with the body hash taken from the issue's template (the shared parts of every
//! body canonicalised once): their signatures must be the very bytes that signing each whole message gives, for
//! both algorithms (RSA PKCS#1 v1.5 and Ed25519 are deterministic) and for every kind of recipient.

use std::sync::Arc;

use weekly_verdicts::config::Secrets;
use weekly_verdicts::issue::{Addressee, Edition, Plan, plan};
use weekly_verdicts::mail::DkimSigner;
use weekly_verdicts::tokens::Tokens;

use super::{Fixture, as_of};
use crate::support::dkim::{dkimpy, ed25519_key, rsa_key};

#[test]
fn signatures_from_the_issues_body_template_are_the_bytes_signing_each_whole_message_gives() {
    let (rsa, ed) = (rsa_key(false), ed25519_key());
    let fixture = Fixture::new(
        None,
        &[
            ("VERDICTS_DKIM_SELECTOR", "rsa"),
            ("VERDICTS_DKIM_ED25519_SELECTOR", "ed"),
        ],
    );
    let config = &fixture.config;
    let secrets = Secrets {
        dkim_key: Some(rsa.pem.clone()),
        dkim_ed25519_key: Some(ed.pem.clone()),
        ..Secrets::default()
    };
    let dkim = DkimSigner::from_config(config, &secrets).unwrap().unwrap();
    let comparisons =
        weekly_verdicts::content::load_dir_or_error(&config.content_dir, &config.base_url).unwrap();
    let Plan::New(new) = plan(&fixture.store(), &comparisons, config, as_of()).unwrap() else {
        panic!("the sample week plans a new issue");
    };
    let edition = |dkim: Option<Arc<DkimSigner>>| {
        Edition::new(
            7,
            plan::rendered(&new, config),
            as_of(),
            Tokens::new(b"stamped signing test key".to_vec(), Vec::new()),
            dkim,
            config.from.email.clone(),
        )
    };
    let signed = edition(Some(Arc::new(dkim.clone())));
    let unsigned = edition(None);
    assert!(signed.hashes_bodies_from_template());
    let records = [("rsa", rsa.record.as_str()), ("ed", ed.record.as_str())];
    let readers = [
        (1, "ann@example.org", None),
        (42, "bob.smith+news@example.org", Some("Bob Smith")),
        (7_000_000, "x@y.io", Some("Lee, Ann \"the reader\"")),
        (
            3,
            "zo\u{eb}@example.org",
            Some("Zo\u{eb} M\u{fc}ller-L\u{fc}denscheidt"),
        ),
        (
            u64::MAX - 1,
            "a-very-long-address.of.someone@subdomain.example.org",
            None,
        ),
    ];
    for (subscriber_id, email, name) in readers {
        let addressee = Addressee {
            subscriber_id,
            email,
            name,
        };
        let mut raw = signed.build(addressee).unwrap().raw;
        let whole = dkim.sign(&unsigned.build(addressee).unwrap().raw).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&raw),
            String::from_utf8_lossy(&whole),
            "{email}"
        );
        raw.extend_from_slice(b"\r\n");
        assert_eq!(dkimpy(&raw, &records), [true, true], "{email}");
    }
}
