# Shared words. Keys are kebab-case; each area has its own file.
lang-name = English
problem-at = at { $path }
