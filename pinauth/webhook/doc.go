// Package webhook delivers pinauth's events to the configured receivers:
// the event names and body (Payload), the webhook config and its
// validation (Webhook, RetryPolicy, Validate), and the outbox Dispatcher
// that posts each event, signed the Standard Webhooks way, with retries.
//
// Events are written to the outbox by the core, in the transaction of the
// change they report; this package only reads the outbox back through the
// Outbox interface, in the background, and never imports the core.
package webhook
