"""What a request does to the models: the USSD hop, snapshots, the SMS desk, claims."""
