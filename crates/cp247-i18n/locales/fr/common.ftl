lang-name = Français
problem-at = à { $path }
