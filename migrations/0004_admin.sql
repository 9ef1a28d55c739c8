-- Audit log of admin actions (keys, SLA policies, erasure). It never holds
-- personal data: an erased customer appears as the SHA-256 of its id.
CREATE TABLE admin_audit (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor       text        NOT NULL,
  action      text        NOT NULL,
  target      text        NOT NULL
);
CREATE INDEX admin_audit_occurred_idx ON admin_audit (occurred_at);
