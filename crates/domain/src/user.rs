//! Users, the actor making a request, and CKAN's rules for user fields.

use md5::{Digest, Md5};
use serde_json::Value;

use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserState {
    Active,
    Pending,
    Deleted,
}

impl UserState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "pending" => Some(Self::Pending),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// A stored user account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub fullname: Option<String>,
    pub about: Option<String>,
    pub image_url: Option<String>,
    pub password_hash: String,
    pub sysadmin: bool,
    pub state: UserState,
    pub created: Timestamp,
    pub last_active: Option<Timestamp>,
    pub activity_streams_email_notifications: bool,
    pub plugin_extras: Option<Value>,
}

impl User {
    /// `fullname` if set, else `name` (CKAN's `display_name`).
    pub fn display_name(&self) -> &str {
        match self.fullname.as_deref() {
            Some(full) if !full.trim().is_empty() => full,
            _ => &self.name,
        }
    }

    pub fn is_active(&self) -> bool {
        self.state == UserState::Active
    }
}

/// The stored part of an API token: never the token itself, only its `jti` (the `id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_access: Option<Timestamp>,
}

/// Who is making a request. Bad, expired and revoked tokens, JSONP calls and tokens of deleted
/// users all end up as `Anonymous`, as in CKAN.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Actor {
    #[default]
    Anonymous,
    User {
        id: String,
        name: String,
        sysadmin: bool,
    },
    /// The site itself (the command line): a sysadmin with no user row. What it does is
    /// recorded with no user, and its activities are hidden like CKAN's site user's.
    Site,
}

/// The name the site acts under in messages and activities.
pub const SITE_ACTOR_NAME: &str = "datahavn";

impl Actor {
    /// The user's id; none for anonymous callers and the site.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Self::Anonymous | Self::Site => None,
            Self::User { id, .. } => Some(id),
        }
    }

    /// The name CKAN puts into its messages: empty for anonymous callers.
    pub fn name(&self) -> &str {
        match self {
            Self::Anonymous => "",
            Self::User { name, .. } => name,
            Self::Site => SITE_ACTOR_NAME,
        }
    }

    pub fn is_sysadmin(&self) -> bool {
        matches!(self, Self::User { sysadmin: true, .. } | Self::Site)
    }

    pub fn is_authenticated(&self) -> bool {
        matches!(self, Self::User { .. } | Self::Site)
    }

    /// Whether this actor is the given user.
    pub fn is_user(&self, user_id: &str) -> bool {
        self.user_id() == Some(user_id)
    }
}

pub const PASSWORD_MIN_LENGTH: usize = 8;

/// CKAN's `user_password_validator`.
pub fn validate_password(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < PASSWORD_MIN_LENGTH {
        Err("Your password must be 8 characters or longer")
    } else {
        Ok(())
    }
}

/// CKAN's `email_validator`, after trimming. Returns the trimmed address.
pub fn validate_email(email: &str) -> Result<String, String> {
    let email = email.trim();
    if email_looks_valid(email) {
        Ok(email.to_owned())
    } else {
        Err(format!("Email {email} is not a valid format"))
    }
}

fn email_looks_valid(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    const LOCAL_SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";
    let local_ok =
        !local.is_empty() && local.chars().all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c));
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    local_ok && domain.split('.').all(label_ok)
}

/// CKAN's `user_about_validator`: links in `about` are refused as spam.
pub fn validate_about(about: &str) -> Result<(), &'static str> {
    if about.contains("http://") || about.contains("https://") {
        Err("Edit not allowed as it looks like spam. Please avoid links in your description.")
    } else {
        Ok(())
    }
}

/// md5 of the trimmed, lowercased address (CKAN's `email_hash`, used for Gravatar).
pub fn email_hash(email: &str) -> String {
    let digest = Md5::digest(email.trim().to_lowercase().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_eight_characters() {
        assert!(validate_password("1234567").is_err());
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password("æøåæøåæø").is_ok());
    }

    #[test]
    fn emails_are_trimmed_and_checked() {
        assert_eq!(validate_email(" a@example.org ").as_deref(), Ok("a@example.org"));
        assert_eq!(
            validate_email("not-an-email"),
            Err("Email not-an-email is not a valid format".to_owned())
        );
        assert!(validate_email("a@b").is_ok());
        assert!(validate_email("a@-b.org").is_err());
        assert!(validate_email("a b@c.org").is_err());
        assert!(validate_email("@c.org").is_err());
    }

    #[test]
    fn about_refuses_links() {
        assert!(validate_about("I like maps").is_ok());
        assert!(validate_about("see https://spam.example").is_err());
    }

    #[test]
    fn email_hash_matches_ckan() {
        assert_eq!(email_hash(" Admin@Example.org "), "96614ec98aa0c0d2ee75796dced6df54");
    }

    #[test]
    fn anonymous_has_an_empty_name() {
        assert_eq!(Actor::Anonymous.name(), "");
        assert!(!Actor::Anonymous.is_sysadmin());
        assert!(!Actor::Anonymous.is_authenticated());
    }

    #[test]
    fn the_site_is_a_sysadmin_without_a_user() {
        let site = Actor::Site;
        assert_eq!(site.user_id(), None);
        assert_eq!(site.name(), "datahavn");
        assert!(site.is_sysadmin());
        assert!(site.is_authenticated());
        assert!(!site.is_user(""));
    }
}

/// What a user can follow, each kept in its own table as CKAN keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    User,
    Dataset,
    /// An organization or a group.
    Group,
}

/// A user following a user, a dataset or a group, since `datetime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Following {
    pub follower_id: String,
    pub object_id: String,
    pub datetime: Timestamp,
}
