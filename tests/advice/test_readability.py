import textstat

from advice import reading_grade, word_count


def test_word_count_counts_words_as_textstat_does():
    text = "Stretch the muscle. Don't rush it - hold for 30 seconds!"
    assert word_count(text) == textstat.lexicon_count(text) == 10


def test_bullets_and_numbers_in_lists():
    assert word_count("- Rest.\n1. Drink water.") == 4


def test_reading_grade_is_flesch_kincaid():
    text = "A cramp is a muscle that tightens by itself. It will not let go."
    assert reading_grade(text) == textstat.flesch_kincaid_grade(text)


def test_long_words_raise_the_grade():
    easy = "Eat nuts and beans. Drink some water. Take a short walk."
    hard = "Consume magnesium-containing legumes. Maintain adequate hydration. Ambulate regularly."
    assert reading_grade(easy) < 6 < reading_grade(hard)
