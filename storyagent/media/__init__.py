"""Media I/O shared by every stage: ffmpeg pipes for video (`video`), WAV files for audio (`audio`)."""
