//! Topics from the command line, as a real process on a fresh store with the sample content: `subscribers add
//! --categories`, `list` and `export` showing them, `topics EMAIL` changing and pausing, and an import whose
//! `categories` column names something the content does not have (nothing imported).

use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberEmail;

use crate::subscribers_cli::{store, verdicts};

#[test]
fn subscribers_add_with_categories_lists_and_exports_them_and_refuses_an_unknown_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let added = verdicts(
        d,
        &[
            "subscribers",
            "add",
            "ann@example.org",
            "--confirmed",
            "--categories",
            "search, VOICE",
        ],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added.stderr.contains("following Search, Voice"),
        "{}",
        added.stderr
    );

    let unknown = verdicts(
        d,
        &[
            "subscribers",
            "add",
            "bob@example.org",
            "--confirmed",
            "--categories",
            "Search,Serch,=cmd()",
        ],
    );
    assert_eq!(unknown.code, 3, "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("unknown categories \"Serch\", \"=cmd()\": the content has Agents, Data & Analytics, Design"),
        "{}",
        unknown.stderr
    );
    let bob = SubscriberEmail::parse("bob@example.org").unwrap();
    assert!(
        store(d).find_by_email(&bob).unwrap().is_none(),
        "nothing was added"
    );

    verdicts(d, &["subscribers", "add", "cal@example.org", "--confirmed"]);
    let list = verdicts(d, &["subscribers", "list"]);
    assert_eq!(list.code, 0);
    let ann_line = list
        .stdout
        .lines()
        .find(|l| l.contains("ann@example.org"))
        .unwrap();
    assert!(ann_line.ends_with("Search, Voice"), "{ann_line}");
    let cal_line = list
        .stdout
        .lines()
        .find(|l| l.contains("cal@example.org"))
        .unwrap();
    assert!(cal_line.ends_with(" -"), "{cal_line}");

    let export = verdicts(d, &["subscribers", "export"]);
    assert!(
        export
            .stdout
            .lines()
            .nth(1)
            .unwrap()
            .ends_with(",Search;Voice,,"),
        "{}",
        export.stdout
    );
}

#[test]
fn subscribers_topics_changes_and_pauses_an_address_with_a_history_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    verdicts(d, &["subscribers", "add", "ann@example.org", "--confirmed"]);
    let shown = verdicts(d, &["subscribers", "topics", "ann@example.org"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("follows: everything") && shown.stdout.contains("not paused"),
        "{}",
        shown.stdout
    );

    let changed = verdicts(
        d,
        &[
            "subscribers",
            "topics",
            "ann@example.org",
            "--categories",
            "Design",
            "--pause-weeks",
            "2",
        ],
    );
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    assert!(
        changed.stdout.contains("follows: Design") && changed.stdout.contains("paused until"),
        "{}",
        changed.stdout
    );
    let ann = SubscriberEmail::parse("ann@example.org").unwrap();
    let stored = store(d).find_by_email(&ann).unwrap().unwrap();
    assert_eq!(stored.categories, Categories::from_names(["Design"]));
    assert!(stored.paused_until.is_some());
    let history = verdicts(d, &["subscribers", "history", "ann@example.org"]);
    assert!(
        history.stdout.contains("topics: Design; paused until"),
        "{}",
        history.stdout
    );
    let list = verdicts(d, &["subscribers", "list"]);
    assert!(
        list.stdout.contains("Design (paused until "),
        "{}",
        list.stdout
    );

    for bad in [
        vec!["--pause-weeks", "9"],
        vec!["--pause-weeks", "0"],
        vec!["--categories", "Nope"],
    ] {
        let mut args = vec!["subscribers", "topics", "ann@example.org"];
        args.extend(bad.iter().copied());
        let refused = verdicts(d, &args);
        assert_eq!(refused.code, 3, "{bad:?}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("nothing was changed"),
            "{}",
            refused.stderr
        );
    }
    let unchanged = store(d).find_by_email(&ann).unwrap().unwrap();
    assert_eq!(unchanged.categories, stored.categories);
    assert_eq!(unchanged.paused_until, stored.paused_until);

    let back = verdicts(
        d,
        &[
            "subscribers",
            "topics",
            "ann@example.org",
            "--everything",
            "--resume",
        ],
    );
    assert_eq!(back.code, 0, "{}", back.stderr);
    let ann_now = store(d).find_by_email(&ann).unwrap().unwrap();
    assert!(ann_now.categories.is_everything() && ann_now.paused_until.is_none());
    let nobody = verdicts(
        d,
        &[
            "subscribers",
            "topics",
            "nobody@example.org",
            "--everything",
        ],
    );
    assert_eq!(nobody.code, 1, "{}", nobody.stderr);
}

#[test]
fn an_import_with_an_unknown_category_names_file_line_and_value_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("list.csv");
    std::fs::write(
        &file,
        "email,name,categories\n\
         ann@example.org,Ann,Search;Voice\n\
         bob@example.org,Bob,\"=HYPERLINK(\"\"http://x\"\")\"\n\
         cal@example.org,Cal,Desgin\n",
    )
    .unwrap();
    let refused = verdicts(d, &["subscribers", "import", "list.csv"]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "list.csv: line 3, column \"categories\": unknown category \"=HYPERLINK(\\\"http://x\\\")\""
        ),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("list.csv: line 4, column \"categories\": unknown category \"Desgin\""),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was imported"),
        "{}",
        refused.stderr
    );
    assert!(store(d).list(None).unwrap().is_empty());

    std::fs::write(
        &file,
        "Email Address,First Name,Topics\nann@example.org,Ann,\"Search, Voice\"\nbob@example.org,Bob,\n",
    )
    .unwrap();
    let imported = verdicts(
        d,
        &[
            "subscribers",
            "import",
            "list.csv",
            "--categories-column",
            "Topics",
        ],
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let listed = store(d).list(None).unwrap();
    assert_eq!(
        listed[0].categories,
        Categories::from_names(["Search", "Voice"])
    );
    assert!(listed[1].categories.is_everything());
}
