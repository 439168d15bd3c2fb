//! The texts of a status verdict: what it shows and why.
//!
//! Nearly every one is the plugin's own (the status table's word, its meaning), shared by
//! every module that says the same; a few are written for one status (a value nobody
//! documented, a duration). A `Cow<'static, str>` holds either in three machine words;
//! [`VerdictText`] holds either in two, the written one behind a second pointer. Those
//! two words a text are what lets a module's verdict fit in the memory its module took,
//! so that a document of many modules is evaluated in place (see `pool::evaluate_modules`).

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

/// A text of a verdict: shared, or written for it.
#[derive(Clone)]
pub enum VerdictText {
    Shared(&'static str),
    // A `String` behind a `Box` is one thin pointer, which fits beside the shared text's
    // pointer and length; a `Box<str>` or a `String` would make the pair three words.
    #[allow(clippy::box_collection)]
    Written(Box<String>),
}

impl Deref for VerdictText {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            VerdictText::Shared(text) => text,
            VerdictText::Written(text) => text,
        }
    }
}

/// Texts are equal when they say the same, however they are kept.
impl PartialEq for VerdictText {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for VerdictText {}

impl AsRef<str> for VerdictText {
    fn as_ref(&self) -> &str {
        self
    }
}

impl From<&'static str> for VerdictText {
    fn from(text: &'static str) -> Self {
        VerdictText::Shared(text)
    }
}

impl From<String> for VerdictText {
    fn from(text: String) -> Self {
        VerdictText::Written(Box::new(text))
    }
}

impl From<Cow<'static, str>> for VerdictText {
    fn from(text: Cow<'static, str>) -> Self {
        match text {
            Cow::Borrowed(text) => VerdictText::Shared(text),
            Cow::Owned(text) => text.into(),
        }
    }
}

impl fmt::Display for VerdictText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

/// As the text itself: shared or written is how it is kept, not what it says.
impl fmt::Debug for VerdictText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_words_wide_and_reads_as_the_text() {
        assert_eq!(
            std::mem::size_of::<VerdictText>(),
            2 * std::mem::size_of::<usize>()
        );
        let shared = VerdictText::from(Cow::Borrowed("import working"));
        let written = VerdictText::from(Cow::<str>::Owned("import working".into()));
        assert!(matches!(shared, VerdictText::Shared(_)));
        assert!(matches!(written, VerdictText::Written(_)));
        assert_eq!(shared, written);
        assert_eq!(
            format!("{written} {shared:?}"),
            "import working \"import working\""
        );
    }
}
