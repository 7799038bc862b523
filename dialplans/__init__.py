"""Everything Asterisk: generated dialplan and queues, prompt audio, the FastAGI server that runs
the IVR engine, and the AMI link (panoramisk) that manages queue members and mirrors queue
events into live state and call records."""
