#!/usr/bin/env python3
"""Checks a folder written by `glimpse data generate` with the tools people use on COCO and
VQA (run by hand; needs pycocotools):
  - captions.json loads with pycocotools' COCO(...), and every image has its captions;
  - questions.json and annotations.json have the layout the official VQA API (vqaTools/vqa.py)
    indexes: dicts with 'questions' / 'annotations', each annotation keyed by a question_id
    that has a question, with question_type, answer_type, multiple_choice_answer and answers.
Usage: scripts/check_dataset_formats.py DIR"""

import json
import sys
from collections import Counter

from pycocotools.coco import COCO

folder = sys.argv[1]
coco = COCO(f"{folder}/captions.json")
images = coco.getImgIds()
captions = [len(coco.getAnnIds(imgIds=[i])) for i in images]
print(f"pycocotools: {len(images)} images, {sum(captions)} captions, {min(captions)}-{max(captions)} per image")

questions = json.load(open(f"{folder}/questions.json"))
annotations = json.load(open(f"{folder}/annotations.json"))
assert isinstance(questions, dict) and isinstance(annotations, dict), "VQA files must be JSON objects"
by_question = {q["question_id"]: q for q in questions["questions"]}
assert len(by_question) == len(questions["questions"]), "question_ids must be unique"
for ann in annotations["annotations"]:
    q = by_question[ann["question_id"]]
    assert q["image_id"] == ann["image_id"], f"question {ann['question_id']}: image ids differ"
    for key in ("question_type", "answer_type", "multiple_choice_answer", "answers"):
        assert key in ann, f"annotation {ann['question_id']} lacks {key}"
    assert all("answer" in a and "answer_id" in a for a in ann["answers"])
    assert set(images) >= {ann["image_id"]}, f"question {ann['question_id']} is about an image not in captions.json"
types = Counter(a["question_type"] for a in annotations["annotations"])
print(f"VQA layout: {len(by_question)} questions, {len(annotations['annotations'])} annotations, types {dict(types)}")
