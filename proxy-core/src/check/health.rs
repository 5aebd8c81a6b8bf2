//! The rise/fall state machine of one check.
