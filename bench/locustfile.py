"""The locust users of ``python -m bench load`` (see bench/load.py).

Each user is one bench person (taken in turn), with a real session cookie,
clicking through dashboard, review list, a later list page, a review and its
documents. Pages are grouped by name so the summary shows each kind.
"""

import itertools
import json
import os
import random

from locust import HttpUser, between, task

PEOPLE = json.loads(open(os.environ["BENCH_PEOPLE"]).read())
_turn = itertools.cycle(sorted(PEOPLE))


class Reviewer(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.person = PEOPLE[next(_turn)]
        self.client.cookies.set("sessionid", self.person["cookie"])

    def _get(self, path, name):
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path}: HTTP {response.status_code}")

    @task(2)
    def dashboard(self):
        self._get("/", "dashboard")

    @task(3)
    def review_list(self):
        self._get("/reviews/", "review_list")

    @task(1)
    def review_list_page(self):
        self._get(f"/reviews/?page={random.randint(1, self.person['pages'])}", "review_list_page")

    @task(3)
    def review(self):
        self._get(f"/reviews/{random.choice(self.person['reviews'])}/", "review_detail")

    @task(2)
    def documents(self):
        self._get(f"/reviews/{random.choice(self.person['reviews'])}/documents/", "review_documents")
