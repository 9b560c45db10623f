"""Where an unfinished ``seed_demo`` stopped, so that running it again finishes the same demo."""

from django.db import models


class SeedResume(models.Model):
    """A resume marker of ``seed_demo``, deleted once what it marks is finished.

    ``seed`` holds the moment the whole seed lays the demo out from, so that a seed stopped and
    run again writes what one uninterrupted run would have. ``activity:<slug>`` holds how far a
    community's history got: it is written in chunks of steps, each chunk committed together
    with this row (how many steps are done and which rows the steps made), so other writers get
    the database between chunks and a seed killed at any point resumes after the last commit.
    """

    name = models.CharField(max_length=120, unique=True)
    now = models.DateTimeField()
    steps_done = models.PositiveIntegerField(default=0)
    # Rows the done steps made, by the plan's keys: {"threads": {key: pk}, "posts": …}.
    made = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.steps_done} steps done"
