//! The two spellings of a cron expression, turned into what the `cron` crate parses.
//!
//! Operators write crontab's 5 fields (`minute hour day-of-month month day-of-week`), where day-of-week 0 and 7 are
//! Sunday and 1 is Monday. The `cron` crate reads seconds-first 6/7-field expressions and numbers days the Quartz
//! way, 1 = Sunday … 7 = Saturday. So a crontab day-of-week field is rewritten into day names, which both agree on,
//! and a numbered day in the seconds-first form is refused: it would mean Sunday to one reader and Monday to another.

/// Crate expressions that together describe the schedule: more than one when crontab's "either day field matches"
/// rule applies (see [`translate`]).
pub(super) type Expressions = Vec<String>;

/// Day names in crontab order: index 0 is Sunday.
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Translates `expr` into `cron` crate expressions, or says what is wrong with it (the caller adds the expression).
///
/// - 5 fields: crontab. When both day-of-month and day-of-week are restricted (neither is `*`), crontab fires when
///   *either* matches (`0 9 1 * MON` = the 1st of each month and every Monday), whereas the crate needs both; that
///   case becomes two expressions whose fire times are merged.
/// - 6 or 7 fields (seconds first, optional year) and `@daily`-style shorthands: the crate's own form.
pub(super) fn translate(expr: &str) -> Result<Expressions, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    match fields.as_slice() {
        [shorthand] if shorthand.starts_with('@') => Ok(vec![shorthand.to_string()]),
        [minute, hour, day_of_month, month, day_of_week] => {
            let weekdays = crontab_weekdays(day_of_week)?;
            let with = |dom: &str, dow: &str| format!("0 {minute} {hour} {dom} {month} {dow}");
            if is_unrestricted(day_of_month) || is_unrestricted(day_of_week) {
                Ok(vec![with(day_of_month, &weekdays)])
            } else {
                Ok(vec![with(day_of_month, "*"), with("*", &weekdays)])
            }
        }
        [_, _, _, _, _, day_of_week] | [_, _, _, _, _, day_of_week, _] => {
            refuse_numbered_days(day_of_week)?;
            Ok(vec![fields.join(" ")])
        }
        _ => Err(format!(
            "it has {} fields; write 5 (minute hour day-of-month month day-of-week, as in crontab) \
             or 6-7 starting with seconds",
            fields.len()
        )),
    }
}

fn is_unrestricted(field: &str) -> bool {
    field == "*" || field == "?"
}

/// A crontab day-of-week field (`MON`, `1-5`, `SAT,SUN`, `*/2`, `FRI-SUN`, `0`, `7`) as a list of day names.
fn crontab_weekdays(field: &str) -> Result<String, String> {
    if is_unrestricted(field) {
        return Ok("*".to_string());
    }
    let mut days = [false; 7];
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => match step.parse::<u32>() {
                Ok(step) if step > 0 => (range, step),
                _ => {
                    return Err(format!(
                        "day-of-week step {step:?} is not a positive number"
                    ));
                }
            },
            None => (item, 1),
        };
        let (first, last) = match range.split_once('-') {
            _ if range == "*" => (0, 6),
            Some((first, last)) => {
                let first = weekday(first)?;
                // `FRI-SUN`: a range may end on Sunday written as 0 or SUN.
                let last = match weekday(last)? {
                    0 if first > 0 => 7,
                    last => last,
                };
                if first > last {
                    return Err(format!("day-of-week range {range:?} runs backwards"));
                }
                (first, last)
            }
            // `2/3` means from Tuesday on, every third day.
            None if step > 1 => (weekday(range)?, 6),
            None => {
                let day = weekday(range)?;
                (day, day)
            }
        };
        for day in (first..=last).step_by(step as usize) {
            days[day as usize % 7] = true;
        }
    }
    let names: Vec<&str> = DAY_NAMES
        .iter()
        .zip(days)
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect();
    Ok(names.join(","))
}

/// One crontab day: 0-7 (0 and 7 are Sunday) or a name (`MON`, `monday`).
fn weekday(value: &str) -> Result<u32, String> {
    if let Ok(number) = value.parse::<u32>() {
        return if number <= 7 {
            Ok(number)
        } else {
            Err(format!(
                "day of week {number} is not 0-7 (0 and 7 are Sunday)"
            ))
        };
    }
    let lower = value.to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .position(|name| {
            let full = full_name(name);
            lower == name.to_ascii_lowercase() || lower == full
        })
        .map(|index| index as u32)
        .ok_or_else(|| format!("{value:?} is not a day of the week (SUN-SAT or 0-7)"))
}

fn full_name(short: &str) -> &'static str {
    match short {
        "SUN" => "sunday",
        "MON" => "monday",
        "TUE" => "tuesday",
        "WED" => "wednesday",
        "THU" => "thursday",
        "FRI" => "friday",
        _ => "saturday",
    }
}

/// In the seconds-first form, `2` would be Monday to the crate and Tuesday to anyone used to crontab.
fn refuse_numbered_days(field: &str) -> Result<(), String> {
    let numbered = field
        .split(',')
        .map(|item| item.split('/').next().unwrap_or(item))
        .any(|base| base.bytes().any(|b| b.is_ascii_digit()));
    if numbered {
        Err(format!(
            "day-of-week {field:?} uses numbers, which the seconds-first form counts from 1 = Sunday \
             (crontab: 1 = Monday); write day names such as MON or MON-FRI"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn crontab_day_numbers_become_names_with_zero_and_seven_as_sunday() {
        let cases = [
            ("0 9 * * MON", "0 0 9 * * MON"),
            ("0 9 * * 1", "0 0 9 * * MON"),
            ("0 9 * * 0", "0 0 9 * * SUN"),
            ("0 9 * * 7", "0 0 9 * * SUN"),
            ("30 7 * * 1-5", "0 30 7 * * MON,TUE,WED,THU,FRI"),
            ("0 9 * * 5-7", "0 0 9 * * SUN,FRI,SAT"),
            ("0 9 * * FRI-SUN", "0 0 9 * * SUN,FRI,SAT"),
            ("0 9 * * */2", "0 0 9 * * SUN,TUE,THU,SAT"),
            ("0 9 * * sat,Sunday", "0 0 9 * * SUN,SAT"),
            ("0 9 * * *", "0 0 9 * * *"),
        ];
        for (crontab, crate_form) in cases {
            assert_eq!(translate(crontab).unwrap(), vec![crate_form], "{crontab}");
        }
    }

    #[test]
    fn both_day_fields_restricted_means_either_matches_as_in_crontab() {
        assert_eq!(
            translate("0 9 1 * MON").unwrap(),
            vec!["0 0 9 1 * *", "0 0 9 * * MON"]
        );
    }

    #[test]
    fn seconds_first_forms_pass_through_but_numbered_days_are_refused() {
        assert_eq!(translate("0 0 9 * * MON").unwrap(), vec!["0 0 9 * * MON"]);
        assert_eq!(
            translate("0 0 9 * * MON-FRI/2 2027").unwrap(),
            vec!["0 0 9 * * MON-FRI/2 2027"]
        );
        assert_eq!(translate("@weekly").unwrap(), vec!["@weekly"]);
        let error = translate("0 0 9 * * 2").unwrap_err();
        assert!(error.contains("MON"), "{error}");
    }

    #[test]
    fn malformed_fields_say_what_is_wrong() {
        assert!(translate("0 9 * *").unwrap_err().contains("4 fields"));
        assert!(translate("0 9 * * 8").unwrap_err().contains("0-7"));
        assert!(translate("0 9 * * FUN").unwrap_err().contains("FUN"));
        assert!(translate("0 9 * * 5-1").unwrap_err().contains("backwards"));
        assert!(translate("0 9 * * */0").unwrap_err().contains("step"));
    }
}
