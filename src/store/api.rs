//! The store's domain operations: the one interface the rest of the program uses. Each forwards to the backend,
//! which implements it with fixed SQL (`sqlite/`, `postgres/`, in the file of the same name).

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::content::Categories;
use crate::digest::History;
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::{
    ArchivedIssue, Backend, BounceReport, ChoiceCount, ClaimRequest, ConfirmOutcome, ConsentRecord,
    DueDelivery, ImportRow, ImportSummary, IssueCreated, IssueStatus, LeaseOutcome, LedgerCounts,
    NewIssue, Origin, Outcome, QueueTake, QueuedConfirmation, ReaderTopics, ReportCounts,
    ReportOutcome, Restore, Source, Status, Store, StoredIssue, SubscribeOutcome, Subscriber,
    TopicsChange, UnsubscribeOutcome,
};
use crate::tokens::Link;

/// Calls the same method on whichever backend the store has.
macro_rules! dispatch {
    ($store:ident.$method:ident($($arg:expr),*)) => {
        match &$store.backend {
            Backend::Sqlite(store) => store.$method($($arg),*),
            Backend::Postgres(store) => store.$method($($arg),*),
        }
    };
}

/// Like `dispatch!`, for operations that write.
macro_rules! dispatch_mut {
    ($store:ident.$method:ident($($arg:expr),*)) => {
        match &mut $store.backend {
            Backend::Sqlite(store) => store.$method($($arg),*),
            Backend::Postgres(store) => store.$method($($arg),*),
        }
    };
}

impl Store {
    // subscribers
    /// A request to subscribe (the form, the JSON API, `subscribers add` without `--confirmed`): a new address
    /// becomes pending; see [`SubscribeKind`] for the others. When a confirmation mail is due it is queued in this
    /// transaction with a fresh link nonce, and `name` and `categories` wait in the row until that mail's link is
    /// followed (a new address follows `categories` at once; an already confirmed reader's choice is unchanged).
    pub fn subscribe(
        &mut self,
        email: &SubscriberEmail,
        name: Option<&SubscriberName>,
        categories: &Categories,
        source: Source,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<SubscribeOutcome> {
        dispatch_mut!(self.subscribe(email, name, categories, source, origin, now))
    }
    /// `verdicts subscribers add`: a new subscriber with the given status and topics; an error if the address is
    /// on the list.
    pub fn add(
        &mut self,
        email: &SubscriberEmail,
        name: Option<&SubscriberName>,
        categories: &Categories,
        status: Status,
        source: Source,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch_mut!(self.add(email, name, categories, status, source, now))
    }
    /// Deletes the subscriber's address, name and delivery history (a request to be forgotten). The consent
    /// history stays, naming the address only by its hash, with a `remove` entry; the id is never given out again.
    /// False if not on the list.
    pub fn remove(&mut self, email: &SubscriberEmail, now: DateTime<Utc>) -> Result<bool> {
        dispatch_mut!(self.remove(email, now))
    }
    /// After a permanent delivery failure. True if the status changed; an unsubscribed reader stays unsubscribed.
    pub fn mark_bounced(&mut self, id: u64, now: DateTime<Utc>) -> Result<bool> {
        dispatch_mut!(self.mark_bounced(id, now))
    }
    // bounces
    /// A bounce or complaint that came back after the send (see `store/bounces.rs` for the rules): recorded with
    /// its reason, issue and source, applied to the reader, and written into their history, in one transaction.
    /// `soft_bounce_limit` is the configuration's (consecutive soft-bounced issues that make a reader bounced).
    /// The same report twice (same reader, issue and kind) changes nothing the second time.
    pub fn record_bounce_report(
        &mut self,
        report: &BounceReport,
        soft_bounce_limit: u32,
        now: DateTime<Utc>,
    ) -> Result<ReportOutcome> {
        dispatch_mut!(self.record_bounce_report(report, soft_bounce_limit, now))
    }
    /// Bounce and complaint reports per issue key, oldest issue first; issues without reports are left out.
    pub fn report_counts(&self) -> Result<Vec<(String, ReportCounts)>> {
        dispatch!(self.report_counts())
    }
    // subscriber_links
    /// The name a bound confirm link would confirm, for the page that shows its button: `Some(name)` while the
    /// link is still the subscription's newest and not yet followed, `None` otherwise. Reads only.
    pub fn name_to_confirm(&self, link: &Link) -> Result<Option<Option<String>>> {
        dispatch!(self.name_to_confirm(link))
    }
    /// Follows a confirm link: a pending, unsubscribed or bounced subscription becomes confirmed, with the name
    /// asked for along with the link, if the link is the subscription's newest (see [`LinkState::accepts`]).
    pub fn confirm(
        &mut self,
        link: &Link,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome> {
        dispatch_mut!(self.confirm(link, origin, now))
    }
    /// Follows an unsubscribe link: any status becomes unsubscribed; repeating it changes nothing.
    pub fn unsubscribe(
        &mut self,
        link: &Link,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<UnsubscribeOutcome> {
        dispatch_mut!(self.unsubscribe(link, origin, now))
    }
    /// Unsubscribes by address, for the CLI and for replies to the list.
    pub fn unsubscribe_email(
        &mut self,
        email: &SubscriberEmail,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<UnsubscribeOutcome> {
        dispatch_mut!(self.unsubscribe_email(email, origin, now))
    }
    // topics
    /// The reader's current topics, for their preferences page; `None` when the link may not act on a
    /// subscription (unknown or removed id, a stale link: the rule of an unsubscribe link). Reads only.
    pub fn reader_topics(&self, link: &Link, now: DateTime<Utc>) -> Result<Option<ReaderTopics>> {
        dispatch!(self.reader_topics(link, now))
    }
    /// Saves the reader's new topics and pause, with a consent history entry saying what was chosen, and
    /// returns the new state; `None` as for [`Store::reader_topics`]. Issues already created keep the edition
    /// their ledger recorded; the change applies from the next one.
    pub fn set_topics(
        &mut self,
        link: &Link,
        change: &TopicsChange,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<Option<ReaderTopics>> {
        dispatch_mut!(self.set_topics(link, change, origin, now))
    }
    /// [`Store::set_topics`] by address, for the operator (`subscribers topics`); `None` if not on the list.
    pub fn set_topics_by_email(
        &mut self,
        email: &SubscriberEmail,
        change: &TopicsChange,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<Option<ReaderTopics>> {
        dispatch_mut!(self.set_topics_by_email(email, change, origin, now))
    }
    // subscriber_queries
    pub fn subscriber(&self, id: u64) -> Result<Option<Subscriber>> {
        dispatch!(self.subscriber(id))
    }
    /// Finds an address whatever its case.
    pub fn find_by_email(&self, email: &SubscriberEmail) -> Result<Option<Subscriber>> {
        dispatch!(self.find_by_email(email))
    }
    /// All subscribers, or those with one status, oldest first.
    pub fn list(&self, status: Option<Status>) -> Result<Vec<Subscriber>> {
        dispatch!(self.list(status))
    }
    /// How many subscribers have each status, every status listed (zero included), in [`Status::ALL`] order.
    pub fn count_by_status(&self) -> Result<Vec<(Status, u64)>> {
        dispatch!(self.count_by_status())
    }
    // consent
    /// Every entry for this address, oldest first, including those of earlier subscriptions that were removed.
    pub fn consent_history(&self, email: &SubscriberEmail) -> Result<Vec<ConsentRecord>> {
        dispatch!(self.consent_history(email))
    }
    // restore
    /// Confirms again each of `emails` that is bounced; says what it did with each.
    pub fn restore_bounced(
        &mut self,
        emails: &[SubscriberEmail],
        now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        dispatch_mut!(self.restore_bounced(emails, now))
    }
    /// Confirms again every subscriber who bounced at or after `since`; returns them, oldest bounce first.
    pub fn restore_bounced_since(
        &mut self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        dispatch_mut!(self.restore_bounced_since(since, now))
    }
    // import
    /// Adds the rows' new addresses with source `import`, all or nothing. An address already on the list is left
    /// exactly as it is, so an import never re-subscribes someone who unsubscribed. Importing an unsubscribed or
    /// bounced row for a new address records it as such, which keeps later imports from adding it as confirmed.
    pub fn import(&mut self, rows: &[ImportRow], now: DateTime<Utc>) -> Result<ImportSummary> {
        dispatch_mut!(self.import(rows, now))
    }
    // keys
    /// The key that signs link tokens: 32 random bytes generated on first use and the same bytes ever after,
    /// shared by every process that opens this store.
    pub fn token_key(&mut self) -> Result<Vec<u8>> {
        dispatch_mut!(self.token_key())
    }
    // issues
    /// What earlier issues covered, for assembling the issue at `as_of`: the latest window that ended at or
    /// before `as_of` (before the first issue: where a send that found no subscribers would have started it),
    /// and every comparison any issue holds.
    pub fn history(&self, as_of: DateTime<Utc>) -> Result<History> {
        dispatch!(self.history(as_of))
    }
    /// Creates the issue and, in the same transaction, its ledger: one delivery per confirmed subscriber, with
    /// the categories they follow (the edition they will be sent); pending, or `skipped` ("paused until …") for a
    /// reader paused past `now`. If the key exists already, returns that issue and changes nothing.
    pub fn create_issue(&mut self, new: &NewIssue, now: DateTime<Utc>) -> Result<IssueCreated> {
        dispatch_mut!(self.create_issue(new, now))
    }
    /// The confirmed readers by category choice, with how many of each are paused past `now`, sorted by choice:
    /// the editions, and the skipped rows, an issue created at `now` would hold.
    pub fn confirmed_choices(&self, now: DateTime<Utc>) -> Result<Vec<ChoiceCount>> {
        dispatch!(self.confirmed_choices(now))
    }
    /// The distinct category choices among the issue's due rows (pending or deferred), sorted: the editions a
    /// run has to render.
    pub fn ledger_editions(&self, issue_id: i64) -> Result<Vec<Categories>> {
        dispatch!(self.ledger_editions(issue_id))
    }
    /// Marks every due row of the issue whose reader follows exactly `categories` `skipped`, with `reason` (an
    /// edition with nothing new this week). How many it skipped.
    pub fn skip_edition(
        &mut self,
        issue_id: i64,
        categories: &Categories,
        reason: &str,
    ) -> Result<u64> {
        dispatch_mut!(self.skip_edition(issue_id, categories, reason))
    }
    pub fn issue_by_key(&self, key: &str) -> Result<Option<StoredIssue>> {
        dispatch!(self.issue_by_key(key))
    }
    /// The key ("2026-W48") of the issue with this id, for messages that name it.
    pub fn issue_key(&self, issue_id: i64) -> Result<Option<String>> {
        dispatch!(self.issue_key(issue_id))
    }
    // deliveries
    /// Up to `limit` due deliveries of the issue with a subscriber id above `after`, by id: page through them
    /// with the last id seen (start at 0). A page never returns a row twice within one pass, so a pass over
    /// the ledger reads each row once however many are sent meanwhile.
    pub fn due_deliveries(
        &self,
        issue_id: i64,
        after: u64,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>> {
        dispatch!(self.due_deliveries(issue_id, after, limit, now))
    }
    /// Records outcomes in one transaction. A bounce marks the subscriber bounced unless they already left.
    pub fn record(&mut self, outcomes: &[Outcome], now: DateTime<Utc>) -> Result<()> {
        dispatch_mut!(self.record(outcomes, now))
    }
    /// Marks the issue complete once nobody is pending or deferred; true if it is complete now.
    pub fn complete_issue(&mut self, issue_id: i64, now: DateTime<Utc>) -> Result<bool> {
        dispatch_mut!(self.complete_issue(issue_id, now))
    }
    /// One issue's ledger counted by state.
    pub fn ledger_counts(&self, issue_id: i64) -> Result<LedgerCounts> {
        dispatch!(self.ledger_counts(issue_id))
    }
    /// The earliest next attempt among the issue's deferred recipients.
    pub fn next_retry(&self, issue_id: i64) -> Result<Option<DateTime<Utc>>> {
        dispatch!(self.next_retry(issue_id))
    }
    /// Every issue, newest first, with its ledger counted by state.
    pub fn delivery_counts(&self) -> Result<Vec<IssueStatus>> {
        dispatch!(self.issue_statuses(i64::MAX))
    }
    /// The newest issue with its ledger counted by state, as [`Store::delivery_counts`] shows it, counting only
    /// that issue's ledger (for `/metrics`, scraped often).
    pub fn newest_issue_status(&self) -> Result<Option<IssueStatus>> {
        Ok(dispatch!(self.issue_statuses(1))?.into_iter().next())
    }
    // claims
    /// Takes up to `request.limit` due rows with a subscriber id above `request.after`, by id, for
    /// `request.owner` until `now + claim_for`: rows nobody holds, rows whose claim ran out (a sender that died)
    /// and rows `owner` holds already. Concurrent claims never take the same row. Recording a row's outcome ends
    /// its claim. On SQLite, where one sender holds the send lease, this is [`Store::due_deliveries`].
    pub fn claim_due(&mut self, request: &ClaimRequest) -> Result<Vec<DueDelivery>> {
        dispatch_mut!(self.claim_due(request))
    }
    /// The earliest expiry among the issue's due rows that senders other than `owner` hold (in the past when a
    /// claim has run out and its rows wait to be taken over), or `now` while a due row is held by nobody or by
    /// `owner` itself (asked between passes, when none of its rows is in flight: such a row was locked when
    /// `owner` last claimed); `None` when no due row is left to wait for (always on SQLite).
    pub fn next_claim_expiry(
        &self,
        issue_id: i64,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        dispatch!(self.next_claim_expiry(issue_id, owner, now))
    }
    /// Moves the end of `owner`'s live claims on the issue's unfinished rows to `until`: a running sender keeps
    /// the rows it holds (queued, on the wire, or sent and not yet recorded) however long they take, so only a
    /// dead sender's claims run out. A claim that already ran out is left alone: another sender may have its
    /// rows. How many it kept.
    pub fn extend_claims(
        &mut self,
        issue_id: i64,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch_mut!(self.extend_claims(issue_id, owner, now, until))
    }
    /// Ends `owner`'s claims on the issue's unfinished rows at `now` (a run stopping with rows it did not
    /// send), so the other senders take them at once instead of after the claim time. How many it ended.
    pub fn release_claims(
        &mut self,
        issue_id: i64,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch_mut!(self.release_claims(issue_id, owner, now))
    }
    // paused
    /// Records that a run paused the issue, and why.
    pub fn pause_issue(&mut self, issue_id: i64, reason: &str, now: DateTime<Utc>) -> Result<()> {
        dispatch_mut!(self.pause_issue(issue_id, reason, now))
    }
    /// A run takes the issue up again: it is no longer paused.
    pub fn resume_issue(&mut self, issue_id: i64) -> Result<()> {
        dispatch_mut!(self.resume_issue(issue_id))
    }
    // lease
    /// Takes the lease `name` for `owner` until `now + ttl` when nobody holds it, its holder's time ran out, or
    /// `owner` already holds it (then it is extended). One IMMEDIATE transaction, so two processes racing for it
    /// cannot both win.
    pub fn try_acquire_lease(
        &mut self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<LeaseOutcome> {
        dispatch_mut!(self.try_acquire_lease(name, owner, ttl, now))
    }
    /// Takes the lease over from `from`, a holder known to be dead, for `owner` until `now + ttl`.
    /// False when `from` no longer holds it (it was released or taken meanwhile).
    pub fn take_over_lease(
        &mut self,
        name: &str,
        from: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch_mut!(self.take_over_lease(name, from, owner, ttl, now))
    }
    /// Extends `owner`'s lease to `now + ttl`. False when it is no longer `owner`'s (released, or taken over
    /// after it expired): the holder must stop the work the lease protects.
    pub fn renew_lease(
        &mut self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch_mut!(self.renew_lease(name, owner, ttl, now))
    }
    /// Gives the lease up so the next process need not wait for it to expire. False when `owner` did not hold it.
    pub fn release_lease(&mut self, name: &str, owner: &str) -> Result<bool> {
        dispatch_mut!(self.release_lease(name, owner))
    }
    /// Who holds `name` at `now`, and until when (for `verdicts status`); `None` when free or expired.
    pub fn lease_holder(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>)>> {
        dispatch!(self.lease_holder(name, now))
    }
    // scheduler_state
    /// Every fire at or before this time was sent or skipped; `None` before the scheduler first ran.
    pub fn scheduler_last_fire(&self) -> Result<Option<DateTime<Utc>>> {
        dispatch!(self.scheduler_last_fire())
    }
    /// Records `fire` as handled. The record only moves forward: of two instances finishing the same fire, or a
    /// slow one finishing an older fire, the latest time stays.
    pub fn record_scheduler_fire(&mut self, fire: DateTime<Utc>) -> Result<()> {
        dispatch_mut!(self.record_scheduler_fire(fire))
    }
    // archive
    /// Every issue, newest first. An issue still being sent is included: its first recipients already have
    /// "view in browser" links to it.
    pub fn archived_issues(&self) -> Result<Vec<ArchivedIssue>> {
        dispatch!(self.archived_issues())
    }
    /// The issue called `key`, if there is one.
    pub fn archived_issue(&self, key: &str) -> Result<Option<ArchivedIssue>> {
        dispatch!(self.archived_issue(key))
    }
    // confirmation_mails
    /// Takes up to `take.limit` mails due at `take.now`, oldest first, claiming them for `take.owner` (see
    /// [`QueueTake`]); mails claimed by others are left alone until their claim ends. Mails whose subscription has
    /// a newer nonce are dropped.
    pub fn due_confirmation_mails(
        &mut self,
        take: &QueueTake<'_>,
    ) -> Result<Vec<QueuedConfirmation>> {
        dispatch_mut!(self.due_confirmation_mails(take))
    }
    /// The processes holding claims on queued mails.
    pub fn confirmation_mail_claimants(&self) -> Result<Vec<String>> {
        dispatch!(self.confirmation_mail_claimants())
    }
    /// Gives back the claims of `owner` (a process that died): its mails are due again at `now`. Returns how many.
    pub fn release_confirmation_claims(&mut self, owner: &str, now: DateTime<Utc>) -> Result<u64> {
        dispatch_mut!(self.release_confirmation_claims(owner, now))
    }
    /// When the next queued mail is due, if any is queued.
    pub fn next_confirmation_mail_at(&self) -> Result<Option<DateTime<Utc>>> {
        dispatch!(self.next_confirmation_mail_at())
    }
    /// The mail went out: off the queue (unless a newer request replaced it meanwhile).
    pub fn confirmation_mail_sent(&mut self, mail: &QueuedConfirmation) -> Result<()> {
        dispatch_mut!(self.confirmation_mail_sent(mail))
    }
    /// The mail failed: retried after a backoff, or dropped after [`CONFIRMATION_MAIL_ATTEMPTS`]. True if dropped.
    pub fn confirmation_mail_failed(
        &mut self,
        mail: &QueuedConfirmation,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch_mut!(self.confirmation_mail_failed(mail, error, now))
    }
    // health
    /// Writes `now` into a one-row table of its own and commits (with the store's `synchronous` setting, so the
    /// write reaches the disk).
    pub fn check_writable(&mut self, now: DateTime<Utc>) -> Result<()> {
        dispatch_mut!(self.check_writable(now))
    }
}
