-- Finds the comments the retention worker blanks without scanning every
-- score; a row leaves the index once its comment is blanked.
CREATE INDEX feedback_comment_received_idx ON feedback (received_at)
  WHERE comment IS NOT NULL;
