//! Rules of the checks group.
