"""Chain screening and the weekly plan: the rules once on arrays (`core`), frames and English around them (`steps`,
`plan`, `context`) for `putwheel plan`."""
