"""Operations commands for the event bus: queue depths and the dead-letter queues.

    python -m services.ops queues
    python -m services.ops dead-letters list|show|replay|drop SERVICE ...
"""
