"""Web Push: a person's devices learn that an application moved, without any personal data in
the message. Subscriptions per signed-in device (`routes`), messages enqueued from the same
outbox batch that writes the status docs (`enqueue`), sent with retries by the worker (`dispatch`)."""
