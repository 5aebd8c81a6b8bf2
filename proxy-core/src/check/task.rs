//! One task per checked server.
