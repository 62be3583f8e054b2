/**
 * The Contact Hash Secret of test stores and test credentials (the journey store keys its address hashes with it).
 * Not a secret: tests only. Every test that opens a store a node or n8n also opens must use this same one.
 */
export const testContactHashSecret = 'test-contact-hash-secret-0123456789abcdef';
