"""The edit: shot clips, transitions, title and credit cards, subtitles and the mix
assembled into film.mp4 (`assemble`), cut into segments that are reused when unchanged."""
